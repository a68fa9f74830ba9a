"""Open rangemap layers in QGIS and report what QGIS sees, as JSON on stdout.

Run with the system Python that has PyQGIS (``/usr/bin/python3``), not the venv::

    /usr/bin/python3 tests/qgis_check.py OUT/geojson/habitat.geojson \
        'OUT/rangemap.gpkg|layername=habitat'

Each argument is an OGR data source URI (``path`` or ``path|layername=NAME``).
Prints ``{"qgis_version": ..., "layers": [...], "messages": [...]}``; one entry per
argument with: valid, featureCount, crs, geometryType, fields (name, type),
renderer type on open and after ``loadDefaultStyle()``, the categories, labeling,
the default-style result and a sample label text evaluated on the first feature.
Exit status 2 if PyQGIS cannot be imported (message on stderr).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile


def main(argv: list[str]) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # A throwaway profile/runtime dir so nothing touches the user's QGIS settings.
    tmp = tempfile.mkdtemp(prefix="rangemap-qgis-")
    os.environ.setdefault("XDG_RUNTIME_DIR", tmp)
    try:
        from qgis.core import (
            Qgis,
            QgsApplication,
            QgsExpression,
            QgsExpressionContext,
            QgsExpressionContextUtils,
            QgsMessageLog,
            QgsProviderRegistry,
            QgsVectorLayer,
            QgsWkbTypes,
        )
    except ImportError as exc:
        print(f"cannot import qgis: {exc}", file=sys.stderr)
        return 2

    messages: list[dict[str, str]] = []

    app = QgsApplication([], False, tmp)
    QgsApplication.setPrefixPath("/usr", True)
    app.initQgis()

    def on_message(msg, tag, level):  # collect QGIS log (warnings, provider errors)
        messages.append({"tag": tag, "level": int(level), "message": msg})

    QgsApplication.messageLog().messageReceived.connect(on_message)
    _ = QgsMessageLog  # imported for clarity of where the log comes from

    layers = []
    for uri in argv:
        name = uri.split("layername=")[-1] if "layername=" in uri else os.path.basename(uri)
        layer = QgsVectorLayer(uri, name, "ogr")
        info: dict = {"uri": uri, "valid": layer.isValid()}
        if not layer.isValid():
            info["error"] = layer.error().summary()
            layers.append(info)
            continue
        info["featureCount"] = layer.featureCount()
        info["crs"] = layer.crs().authid()
        info["geometryType"] = QgsWkbTypes.displayString(layer.wkbType())
        info["fields"] = [{"name": f.name(), "type": f.typeName(),
                           "variant": f.type() if isinstance(f.type(), int) else str(f.type())}
                          for f in layer.fields()]
        info["renderer_on_open"] = layer.renderer().type() if layer.renderer() else None
        # What the provider would hand out as the stored default style (GPKG layer_styles).
        try:
            reg = QgsProviderRegistry.instance()
            try:
                res = reg.loadStyle("ogr", uri)
            except TypeError:  # 3.22: errCause is not marked as an output argument
                res = reg.loadStyle("ogr", uri, "")
            qml, err = res if isinstance(res, tuple) else (res, "")
            info["db_style_chars"] = len(qml or "")
            info["db_style_error"] = err or ""
        except Exception as exc:  # API differs between versions
            info["db_style_error"] = f"loadStyle unavailable: {exc}"
        msg, ok = layer.loadDefaultStyle()
        info["loadDefaultStyle"] = {"ok": bool(ok), "message": msg}
        r = layer.renderer()
        info["renderer"] = r.type() if r else None
        if r is not None and r.type() == "categorizedSymbol":
            info["classAttribute"] = r.classAttribute()
            info["categories"] = [{"value": c.value() if c.value() is None else str(c.value()),
                                   "label": c.label(),
                                   "color": c.symbol().color().name(),
                                   "alpha": c.symbol().color().alpha()}
                                  for c in r.categories()]
        info["labelsEnabled"] = layer.labelsEnabled()
        lab = layer.labeling()
        if lab is not None:
            settings = lab.settings()
            info["labelExpression"] = settings.fieldName
            expr = QgsExpression(settings.fieldName)
            ctx = QgsExpressionContext()
            ctx.appendScopes(QgsExpressionContextUtils.globalProjectLayerScopes(layer))
            texts = []
            for i, feat in enumerate(layer.getFeatures()):
                if i >= 3:
                    break
                ctx.setFeature(feat)
                texts.append(expr.evaluate(ctx))
            info["labelSamples"] = [None if t is None else str(t) for t in texts]
            info["labelExpressionError"] = expr.parserErrorString() or expr.evalErrorString()
        layers.append(info)
        del layer

    out = {"qgis_version": Qgis.QGIS_VERSION, "layers": layers, "messages": messages}
    print(json.dumps(out, ensure_ascii=False, default=str))
    sys.stdout.flush()
    app.exitQgis()
    # PyQGIS may crash while the interpreter tears down Qt objects; the report is out.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
