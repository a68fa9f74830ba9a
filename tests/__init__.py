"""rangemap's tests (a package, so modules share ``tests.helpers``)."""
