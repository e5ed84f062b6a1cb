# stackprobe's pytest plugins; everything else lives in fixtures/.
pytest_plugins = ["fixtures.plugin", "fixtures.reporting"]
