# stackprobe's pytest plugins; everything else lives in fixtures/.
import os

# pydantic scans every installed distribution's entry points for pydantic plugins when the
# first model is built; the environment schema needs none. An explicit setting in the
# environment wins.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

pytest_plugins = ["fixtures.reporting", "fixtures.plugin"]
