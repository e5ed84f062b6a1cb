"""The template installs exactly backend/app.py: the user-data copy may not drift, must
stay inside the launch template's user-data limit, and must run on AL2023's Python 3.9."""
from __future__ import annotations

import ast
import base64
import re
from pathlib import Path

from cfnlint.decode import cfn_yaml

CFN_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "cloudformation"
APP = CFN_DIR / "backend" / "app.py"
TEMPLATE = CFN_DIR / "stack.yaml"
FIX = "run: python fixtures/cloudformation/backend/embed.py"


def user_data_template():
    template = cfn_yaml.loads(TEMPLATE.read_text())
    data = template["Resources"]["LaunchTemplate"]["Properties"]["LaunchTemplateData"]
    sub = data["UserData"]["Fn::Base64"]["Fn::Sub"]
    return sub[0] if isinstance(sub, list) else sub


def test_user_data_embeds_app_py_verbatim():
    script = user_data_template()
    match = re.search(r"^cat > /opt/stackprobe/app\.py <<'APP_PY'\n(.*?)^APP_PY$", script,
                      re.S | re.M)
    assert match, "user data no longer writes /opt/stackprobe/app.py from a heredoc"
    assert match.group(1) == APP.read_text(), f"embedded app.py differs from backend/app.py; {FIX}"


def test_app_has_no_fn_sub_placeholders():
    assert "${" not in APP.read_text(), "Fn::Sub would rewrite '${' inside the embedded app"


def test_user_data_fits_the_16_kib_limit():
    # Fill every ${...} with a generous stand-in (a secret ARN is ~100 characters).
    rendered = re.sub(r"\$\{[^}]+\}", "x" * 120, user_data_template())
    assert len(base64.b64encode(rendered.encode())) <= 16 * 1024


def test_app_parses_as_python_3_9():
    ast.parse(APP.read_text(), feature_version=(3, 9))


def test_template_fits_a_createstack_template_body():
    # Over 51,200 bytes CloudFormation needs an S3 TemplateURL; staying under keeps
    # `aws cloudformation deploy --template-file` working without a bucket.
    assert len(TEMPLATE.read_bytes()) <= 51_200
