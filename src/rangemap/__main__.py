from rangemap.cli import main

main()
