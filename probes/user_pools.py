"""Every Cognito user pool of the stack: password policy, MFA, self sign-up and deletion
protection against the environment's expectations. The app client's settings stay in
``probes.auth``."""
from __future__ import annotations

from typing import Any, Literal

from probes.expectations import Strict, layer_expectations
from probes.inventory import Inventory
from probes.nodes import described, judge_each, label
from probes.registry import probe
from probes.result import Finding, failed, passed

POOL = "AWS::Cognito::UserPool"
CLASSES = {"lowercase": "RequireLowercase", "uppercase": "RequireUppercase",
           "numbers": "RequireNumbers", "symbols": "RequireSymbols"}
MFA_LEVELS = ("OFF", "OPTIONAL", "ON")  # weakest first


@layer_expectations("user_pool")
class UserPoolExpect(Strict):
    min_password_length: int = 12           # a floor: longer passes
    password_classes: tuple[Literal["lowercase", "uppercase", "numbers", "symbols"], ...] = (
        "lowercase", "uppercase", "numbers", "symbols")
    mfa: Literal["OFF", "OPTIONAL", "ON"] = "OPTIONAL"   # a floor: ON passes where OPTIONAL is asked
    self_sign_up: bool = False              # exactly: a pool open to sign-up is a product choice
    deletion_protection: bool = False       # a floor: True where the environment asks


def _describe(inv: Inventory, node: dict) -> dict | None:
    resp = inv.call("cognito-idp", "describe_user_pool", missing_ok=True, UserPoolId=node["id"])
    return resp["UserPool"] if resp else None


def _pools(inv: Inventory) -> list[tuple[dict, dict | None]]:
    return described(inv, POOL, lambda n: _describe(inv, n))


@probe(layer="auth", component="user-pool",
       title="Every user pool's password policy asks for the expected length and character classes",
       severity="critical",
       remediation="aws cognito-idp update-user-pool --user-pool-id <pool> --policies "
                   "'PasswordPolicy={MinimumLength=<n>,RequireLowercase=true,RequireUppercase=true,"
                   "RequireNumbers=true,RequireSymbols=true}' (pass the pool's other settings too: "
                   "UpdateUserPool resets what it is not given) or Policies.PasswordPolicy in the "
                   "template",
       see_also=("cognito_user_pool_password_policy_minimum_length_14",
                 "cognito_user_pool_password_policy_lowercase",
                 "cognito_user_pool_password_policy_uppercase",
                 "cognito_user_pool_password_policy_number",
                 "cognito_user_pool_password_policy_symbol",
                 "cognito_user_pool_strong_password_policy"))
def user_pool_password_policy(inv: Inventory, exp: Any) -> list[Finding]:
    want = exp.user_pool

    def judge(node: dict, pool: dict) -> Finding:
        policy = (pool.get("Policies") or {}).get("PasswordPolicy") or {}
        length = policy.get("MinimumLength") or 8
        problems = [f"minimum length {length} < {want.min_password_length}"] \
            if length < want.min_password_length else []
        missing = [c for c in want.password_classes if not policy.get(CLASSES[c])]
        if missing:
            problems.append(f"does not require {', '.join(missing)}")
        name = label(inv, node, "user pool")
        if problems:
            return failed(name, f"has a weak password policy: {'; '.join(problems)}",
                          f"at least {want.min_password_length} characters with "
                          f"{', '.join(want.password_classes)} (expectations.user_pool)",
                          password_policy=policy)
        return passed(name, f"requires {length}+ characters with "
                            f"{', '.join(want.password_classes) or 'no class'}",
                      password_policy=policy)

    return judge_each(inv, _pools(inv), "user pool", judge)


@probe(layer="auth", component="user-pool",
       title="Every user pool offers or enforces MFA as the environment expects",
       severity="normal",
       remediation="aws cognito-idp set-user-pool-mfa-config --user-pool-id <pool> "
                   "--software-token-mfa-configuration Enabled=true --mfa-configuration OPTIONAL "
                   "(or ON); in the template MfaConfiguration with EnabledMfas",
       see_also=("cognito_user_pool_mfa_enabled",))
def user_pool_mfa(inv: Inventory, exp: Any) -> list[Finding]:
    want = exp.user_pool.mfa
    # GetUserPoolMfaConfig is the authority: SetUserPoolMfaConfig changes it alone.
    configs = described(inv, POOL, lambda n: inv.call(
        "cognito-idp", "get_user_pool_mfa_config", missing_ok=True, UserPoolId=n["id"]))

    def judge(node: dict, config: dict) -> Finding:
        mfa = config.get("MfaConfiguration") or "OFF"
        name = label(inv, node, "user pool")
        if MFA_LEVELS.index(mfa) < MFA_LEVELS.index(want):
            return failed(name, f"has MFA {mfa}", f"MFA {want} or stronger "
                                                  "(expectations.user_pool.mfa)", mfa=mfa)
        return passed(name, f"has MFA {mfa}", mfa=mfa)

    return judge_each(inv, configs, "user pool", judge)


@probe(layer="auth", component="user-pool",
       title="Every user pool's self sign-up and deletion protection are as the environment expects",
       severity="normal",
       remediation="Self sign-up: AdminCreateUserConfig.AllowAdminCreateUserOnly (true closes "
                   "sign-up); deletion protection: aws cognito-idp update-user-pool "
                   "--deletion-protection ACTIVE (DeletionProtection in the template)",
       see_also=("cognito_user_pool_self_registration_disabled",
                 "cognito_user_pool_deletion_protection_enabled"))
def user_pool_sign_up_and_deletion(inv: Inventory, exp: Any) -> list[Finding]:
    want = exp.user_pool

    def judge(node: dict, pool: dict) -> Finding:
        sign_up = not (pool.get("AdminCreateUserConfig") or {}).get("AllowAdminCreateUserOnly", False)
        protected = pool.get("DeletionProtection") == "ACTIVE"
        problems, fixes = [], []
        if sign_up != want.self_sign_up:
            problems.append("lets anyone sign up" if sign_up else "does not let users sign up")
            fixes.append(f"set AdminCreateUserConfig.AllowAdminCreateUserOnly={str(sign_up).lower()}")
        if want.deletion_protection and not protected:
            problems.append("has deletion protection off")
            fixes.append(f"aws cognito-idp update-user-pool --user-pool-id {node['id']} "
                         "--deletion-protection ACTIVE (with the pool's other settings)")
        name = label(inv, node, "user pool")
        state = (f"self sign-up {'open' if sign_up else 'closed'}, deletion protection "
                 f"{'on' if protected else 'off'}")
        if problems:
            return failed(name, "; ".join(problems) + f" ({state})",
                          f"self sign-up {'open' if want.self_sign_up else 'closed'}"
                          + (", deletion protection on" if want.deletion_protection else "")
                          + " (expectations.user_pool)", "; ".join(fixes),
                          self_sign_up=sign_up, deletion_protection=protected)
        return passed(name, f"has {state}", self_sign_up=sign_up, deletion_protection=protected)

    return judge_each(inv, _pools(inv), "user pool", judge)
