# ruff: noqa: F811  (pytest fixtures imported from _support, so the tests also run with --noconftest)
"""Each type the extension models: create through CloudFormation, read back through the
service API, update (in place where AWS does it in place), delete and check it is gone;
deletes tolerate "already gone" (out-of-band deletes, deleting twice)."""
from __future__ import annotations

import json

from tests.emulator._support import ACCOUNT, REGION, aws, create, emu, gone, template, unique  # noqa: F401

S3_ORIGIN = "example-site.s3.us-east-1.amazonaws.com"


def _network(n_subnets: int = 2) -> dict:
    res = {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.1.0.0/16"}}}
    for i in range(n_subnets):
        res[f"Subnet{i}"] = {"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "CidrBlock": f"10.1.{i}.0/24",
            "AvailabilityZone": {"Fn::Select": [i, {"Fn::GetAZs": ""}]}}}
    return res


# --- CloudFront -----------------------------------------------------------------------------
def _cloudfront(comment: str, oac_description: str, ttl: int) -> str:
    return template({
        "Oac": {"Type": "AWS::CloudFront::OriginAccessControl", "Properties": {"OriginAccessControlConfig": {
            "Name": unique("oac"), "Description": oac_description, "OriginAccessControlOriginType": "s3",
            "SigningBehavior": "always", "SigningProtocol": "sigv4"}}},
        "Cache": {"Type": "AWS::CloudFront::CachePolicy", "Properties": {"CachePolicyConfig": {
            "Name": unique("cp"), "MinTTL": 0, "DefaultTTL": ttl, "MaxTTL": 1,
            "ParametersInCacheKeyAndForwardedToOrigin": {
                "EnableAcceptEncodingGzip": True, "HeadersConfig": {"HeaderBehavior": "whitelist",
                                                                    "Headers": ["Authorization"]},
                "CookiesConfig": {"CookieBehavior": "none"}, "QueryStringsConfig": {"QueryStringBehavior": "all"}}}}},
        "OriginRequest": {"Type": "AWS::CloudFront::OriginRequestPolicy", "Properties": {"OriginRequestPolicyConfig": {
            "Name": unique("orp"), "HeadersConfig": {"HeaderBehavior": "allExcept", "Headers": ["host"]},
            "CookiesConfig": {"CookieBehavior": "all"}, "QueryStringsConfig": {"QueryStringBehavior": "all"}}}},
        "Dist": {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {
            "Comment": comment, "Enabled": True, "HttpVersion": "http2and3", "IPV6Enabled": True,
            "DefaultRootObject": "index.html", "PriceClass": "PriceClass_100",
            "Origins": [{"Id": "site", "DomainName": S3_ORIGIN, "OriginAccessControlId": {"Fn::GetAtt": ["Oac", "Id"]},
                         "S3OriginConfig": {"OriginAccessIdentity": ""}},
                        {"Id": "api", "DomainName": "abc.execute-api.us-east-1.amazonaws.com", "OriginPath": "/prod",
                         "CustomOriginConfig": {"OriginProtocolPolicy": "https-only", "OriginSSLProtocols": ["TLSv1.2"]}}],
            "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "redirect-to-https",
                                     "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
            "CacheBehaviors": [{"PathPattern": "/api/*", "TargetOriginId": "api", "ViewerProtocolPolicy": "https-only",
                                "AllowedMethods": ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
                                "CachePolicyId": {"Ref": "Cache"}, "OriginRequestPolicyId": {"Ref": "OriginRequest"}}],
            "Logging": {"Bucket": "logs.s3.amazonaws.com", "Prefix": "cf/"},
            "ViewerCertificate": {"CloudFrontDefaultCertificate": True}}}},
    }, outputs={"DistId": {"Ref": "Dist"}, "DomainName": {"Fn::GetAtt": ["Dist", "DomainName"]},
                "IdAtt": {"Fn::GetAtt": ["Dist", "Id"]}, "OacId": {"Fn::GetAtt": ["Oac", "Id"]},
                "OacRef": {"Ref": "Oac"}, "CacheId": {"Ref": "Cache"}, "OrpId": {"Fn::GetAtt": ["OriginRequest", "Id"]}})


def test_cloudfront_distribution_oac_and_policies(aws):
    stack = create(aws, _cloudfront("v1", "first", 0))
    out = stack.outputs
    cf = aws("cloudfront")
    assert out["DistId"] == out["IdAtt"] and out["OacRef"] == out["OacId"]
    dist = cf.get_distribution(Id=out["DistId"])["Distribution"]
    assert dist["DomainName"] == out["DomainName"]
    config = cf.get_distribution_config(Id=out["DistId"])["DistributionConfig"]
    origins = {o["Id"]: o for o in config["Origins"]["Items"]}
    assert origins["site"]["OriginAccessControlId"] == out["OacId"]
    assert origins["api"]["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert config["Comment"] == "v1" and config["HttpVersion"] == "http2and3" and config["IsIPV6Enabled"] is True
    assert config["Logging"] == {"Enabled": True, "IncludeCookies": False, "Bucket": "logs.s3.amazonaws.com",
                                 "Prefix": "cf/"}
    behavior = config["CacheBehaviors"]["Items"][0]
    assert behavior["CachePolicyId"] == out["CacheId"] and behavior["OriginRequestPolicyId"] == out["OrpId"]
    cp = cf.get_cache_policy(Id=out["CacheId"])["CachePolicy"]["CachePolicyConfig"]
    assert cp["ParametersInCacheKeyAndForwardedToOrigin"]["HeadersConfig"] == {
        "HeaderBehavior": "whitelist", "Headers": {"Quantity": 1, "Items": ["Authorization"]}}
    assert cf.get_origin_request_policy(Id=out["OrpId"])["OriginRequestPolicy"]["OriginRequestPolicyConfig"][
        "HeadersConfig"]["HeaderBehavior"] == "allExcept"
    oac = cf.get_origin_access_control(Id=out["OacId"])["OriginAccessControl"]["OriginAccessControlConfig"]
    assert oac["Description"] == "first" and oac["SigningBehavior"] == "always"

    stack.update(_cloudfront("v2", "second", 1).replace(
        json.dumps(cp["Name"])[1:-1], cp["Name"]))  # same policy name, new TTL
    out2 = stack.outputs
    assert out2["DistId"] == out["DistId"] and out2["OacId"] == out["OacId"]  # updated in place
    assert cf.get_distribution_config(Id=out["DistId"])["DistributionConfig"]["Comment"] == "v2"
    assert cf.get_origin_access_control(Id=out["OacId"])["OriginAccessControl"][
        "OriginAccessControlConfig"]["Description"] == "second"

    stack.delete()
    assert gone(lambda: cf.get_distribution(Id=out["DistId"]))
    assert gone(lambda: cf.get_origin_access_control(Id=out["OacId"]))
    assert gone(lambda: cf.get_cache_policy(Id=out2["CacheId"]))
    assert gone(lambda: cf.get_origin_request_policy(Id=out["OrpId"]))


def test_cloudfront_managed_policies_exist_in_every_account(aws):
    cf = aws("cloudfront")
    managed = cf.list_cache_policies(Type="managed")["CachePolicyList"]["Items"]
    names = {p["CachePolicy"]["CachePolicyConfig"]["Name"] for p in managed}
    assert {"Managed-CachingOptimized", "Managed-CachingDisabled"} <= names
    orp = cf.get_origin_request_policy(Id="b689b0a8-53d0-40ab-baf2-68738e2966ac")["OriginRequestPolicy"]
    assert orp["OriginRequestPolicyConfig"]["Name"] == "Managed-AllViewerExceptHostHeader"


# --- WAFv2 ----------------------------------------------------------------------------------
def _waf(rules: list[dict], name: str) -> str:
    vis = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "m"}
    return template({
        "Acl": {"Type": "AWS::WAFv2::WebACL", "Properties": {
            "Name": name, "Scope": "CLOUDFRONT", "DefaultAction": {"Allow": {}}, "VisibilityConfig": vis,
            "Rules": rules}},
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": f"aws-waf-logs-{name}"}},
        "Logging": {"Type": "AWS::WAFv2::LoggingConfiguration", "Properties": {
            "ResourceArn": {"Fn::GetAtt": ["Acl", "Arn"]},
            "LogDestinationConfigs": [{"Fn::Sub": "arn:aws:logs:${AWS::Region}:${AWS::AccountId}:log-group:${Logs}"}]}},
        "RegionalAcl": {"Type": "AWS::WAFv2::WebACL", "Properties": {
            "Name": f"{name}-r", "Scope": "REGIONAL", "DefaultAction": {"Block": {}}, "VisibilityConfig": vis}},
        "Assoc": {"Type": "AWS::WAFv2::WebACLAssociation", "Properties": {
            "ResourceArn": f"arn:aws:apigateway:{REGION}::/restapis/abc/stages/prod",
            "WebACLArn": {"Fn::GetAtt": ["RegionalAcl", "Arn"]}}},
    }, outputs={"Ref": {"Ref": "Acl"}, "Arn": {"Fn::GetAtt": ["Acl", "Arn"]}, "Id": {"Fn::GetAtt": ["Acl", "Id"]},
                "RegionalArn": {"Fn::GetAtt": ["RegionalAcl", "Arn"]}})


RATE_RULE = {"Name": "Rate", "Priority": 0, "Action": {"Block": {}},
             "Statement": {"RateBasedStatement": {"Limit": 2000, "AggregateKeyType": "IP"}},
             "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "r"}}
MANAGED_RULE = {"Name": "Common", "Priority": 1, "OverrideAction": {"None": {}},
                "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet"}},
                "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "c"}}


def test_wafv2_web_acl_logging_and_association(aws):
    name = unique("acl")
    stack = create(aws, _waf([RATE_RULE, MANAGED_RULE], name))
    out = stack.outputs
    acl_name, acl_id, scope = out["Ref"].split("|")
    assert (acl_name, acl_id, scope) == (name, out["Id"], "CLOUDFRONT")
    waf = aws("wafv2")
    acl = waf.get_web_acl(Name=name, Id=acl_id, Scope="CLOUDFRONT")["WebACL"]
    assert acl["ARN"] == out["Arn"] and [r["Name"] for r in acl["Rules"]] == ["Rate", "Common"]
    log = waf.get_logging_configuration(ResourceArn=out["Arn"])["LoggingConfiguration"]
    assert log["LogDestinationConfigs"] == [f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:aws-waf-logs-{name}"]
    listed = waf.list_logging_configurations(Scope="CLOUDFRONT")["LoggingConfigurations"]
    assert out["Arn"] in [c["ResourceArn"] for c in listed]
    resource = f"arn:aws:apigateway:{REGION}::/restapis/abc/stages/prod"
    assert waf.get_web_acl_for_resource(ResourceArn=resource)["WebACL"]["ARN"] == out["RegionalArn"]

    stack.update(_waf([MANAGED_RULE], name))
    assert stack.outputs["Id"] == acl_id  # rules change in place
    assert [r["Name"] for r in waf.get_web_acl(Name=name, Id=acl_id, Scope="CLOUDFRONT")["WebACL"]["Rules"]] == ["Common"]

    stack.delete()
    assert gone(lambda: waf.get_web_acl(Name=name, Id=acl_id, Scope="CLOUDFRONT"), "WAFNonexistentItemException")
    assert gone(lambda: waf.get_logging_configuration(ResourceArn=out["Arn"]), "WAFNonexistentItemException")
    assert "WebACL" not in waf.get_web_acl_for_resource(ResourceArn=resource) or \
        waf.get_web_acl_for_resource(ResourceArn=resource).get("WebACL") is None


# --- Cognito --------------------------------------------------------------------------------
def _cognito(min_length: int, callback: str) -> str:
    return template({
        "Pool": {"Type": "AWS::Cognito::UserPool", "Properties": {
            "UserPoolName": unique("pool"), "UsernameAttributes": ["email"], "AutoVerifiedAttributes": ["email"],
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True}, "MfaConfiguration": "OFF",
            "Policies": {"PasswordPolicy": {"MinimumLength": min_length, "RequireSymbols": True}}}},
        "Client": {"Type": "AWS::Cognito::UserPoolClient", "Properties": {
            "UserPoolId": {"Ref": "Pool"}, "GenerateSecret": False,
            "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            "AllowedOAuthFlowsUserPoolClient": True, "AllowedOAuthFlows": ["code"],
            "AllowedOAuthScopes": ["openid"], "CallbackURLs": [callback], "SupportedIdentityProviders": ["COGNITO"],
            "AccessTokenValidity": 1, "TokenValidityUnits": {"AccessToken": "hours"}}},
    }, outputs={"PoolId": {"Ref": "Pool"}, "Arn": {"Fn::GetAtt": ["Pool", "Arn"]},
                "ProviderName": {"Fn::GetAtt": ["Pool", "ProviderName"]},
                "ProviderURL": {"Fn::GetAtt": ["Pool", "ProviderURL"]},
                "ClientRef": {"Ref": "Client"}, "ClientId": {"Fn::GetAtt": ["Client", "ClientId"]}})


def test_cognito_user_pool_and_client(aws):
    stack = create(aws, _cognito(12, "https://a.example/cb"))
    out = stack.outputs
    idp = aws("cognito-idp")
    pool = idp.describe_user_pool(UserPoolId=out["PoolId"])["UserPool"]
    assert out["Arn"] == pool["Arn"] == f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{out['PoolId']}"
    assert out["ProviderName"] == f"cognito-idp.{REGION}.amazonaws.com/{out['PoolId']}"
    assert out["ProviderURL"] == f"https://{out['ProviderName']}"
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert out["ClientRef"] == out["ClientId"]
    client = idp.describe_user_pool_client(UserPoolId=out["PoolId"], ClientId=out["ClientId"])["UserPoolClient"]
    assert client["CallbackURLs"] == ["https://a.example/cb"] and client["AllowedOAuthFlows"] == ["code"]
    assert client["AccessTokenValidity"] == 1 and "ClientSecret" not in client

    stack.update(_cognito(14, "https://b.example/cb").replace(
        json.loads(_cognito(14, "x"))["Resources"]["Pool"]["Properties"]["UserPoolName"], pool["Name"]))
    assert stack.outputs["PoolId"] == out["PoolId"] and stack.outputs["ClientId"] == out["ClientId"]
    assert idp.describe_user_pool(UserPoolId=out["PoolId"])["UserPool"]["Policies"]["PasswordPolicy"][
        "MinimumLength"] == 14
    assert idp.describe_user_pool_client(UserPoolId=out["PoolId"], ClientId=out["ClientId"])[
        "UserPoolClient"]["CallbackURLs"] == ["https://b.example/cb"]

    stack.delete()
    assert gone(lambda: idp.describe_user_pool(UserPoolId=out["PoolId"]))


# --- API Gateway ----------------------------------------------------------------------------
def _api(burst: int, authorizer_name: str) -> str:
    res = _network()
    res.update({
        "Nlb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {
            "Type": "network", "Scheme": "internal", "Subnets": [{"Ref": "Subnet0"}, {"Ref": "Subnet1"}]}},
        "Pool": {"Type": "AWS::Cognito::UserPool", "Properties": {}},
        "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {
            "Name": unique("api"), "EndpointConfiguration": {"Types": ["REGIONAL"]}}},
        "Link": {"Type": "AWS::ApiGateway::VpcLink", "Properties": {
            "Name": unique("link"), "TargetArns": [{"Ref": "Nlb"}]}},
        "Auth": {"Type": "AWS::ApiGateway::Authorizer", "Properties": {
            "Name": authorizer_name, "RestApiId": {"Ref": "Api"}, "Type": "COGNITO_USER_POOLS",
            "ProviderARNs": [{"Fn::GetAtt": ["Pool", "Arn"]}], "IdentitySource": "method.request.header.Authorization"}},
        "Items": {"Type": "AWS::ApiGateway::Resource", "Properties": {
            "RestApiId": {"Ref": "Api"}, "ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]}, "PathPart": "items"}},
        "ItemsGet": {"Type": "AWS::ApiGateway::Method", "Properties": {
            "RestApiId": {"Ref": "Api"}, "ResourceId": {"Ref": "Items"}, "HttpMethod": "GET",
            "AuthorizationType": "COGNITO_USER_POOLS", "AuthorizerId": {"Ref": "Auth"},
            "Integration": {"Type": "HTTP_PROXY", "IntegrationHttpMethod": "GET", "ConnectionType": "VPC_LINK",
                            "ConnectionId": {"Ref": "Link"}, "TimeoutInMillis": 10000,
                            "Uri": {"Fn::Sub": "http://${Nlb.DNSName}/items"}}}},
        "Deployment": {"Type": "AWS::ApiGateway::Deployment", "DependsOn": ["ItemsGet"],
                       "Properties": {"RestApiId": {"Ref": "Api"}}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
                                                    "Action": "sts:AssumeRole"}]}}},
        "Account": {"Type": "AWS::ApiGateway::Account", "Properties": {"CloudWatchRoleArn": {"Fn::GetAtt": ["Role", "Arn"]}}},
        "Stage": {"Type": "AWS::ApiGateway::Stage", "Properties": {
            "RestApiId": {"Ref": "Api"}, "DeploymentId": {"Ref": "Deployment"}, "StageName": "prod",
            "AccessLogSetting": {"DestinationArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:access", "Format": "$context.requestId"},
            "MethodSettings": [{"ResourcePath": "/*", "HttpMethod": "*", "MetricsEnabled": True, "LoggingLevel": "INFO",
                                "ThrottlingBurstLimit": burst, "ThrottlingRateLimit": 50}]}},
    })
    return template(res, outputs={
        "ApiId": {"Ref": "Api"}, "AuthId": {"Ref": "Auth"}, "AuthAtt": {"Fn::GetAtt": ["Auth", "AuthorizerId"]},
        "LinkId": {"Ref": "Link"}, "Stage": {"Ref": "Stage"}, "Deployment": {"Ref": "Deployment"},
        "PoolArn": {"Fn::GetAtt": ["Pool", "Arn"]}, "Nlb": {"Ref": "Nlb"}, "ItemsId": {"Ref": "Items"},
        "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]}})


def test_apigateway_authorizer_vpclink_stage_method_account(aws):
    stack = create(aws, _api(100, "cognito"))
    out = stack.outputs
    ag = aws("apigateway")
    auth = ag.get_authorizer(restApiId=out["ApiId"], authorizerId=out["AuthId"])
    assert out["AuthId"] == out["AuthAtt"] and auth["providerARNs"] == [out["PoolArn"]]
    assert auth["type"] == "COGNITO_USER_POOLS" and auth["identitySource"] == "method.request.header.Authorization"
    link = ag.get_vpc_link(vpcLinkId=out["LinkId"])
    assert link["targetArns"] == [out["Nlb"]] and link["status"] == "AVAILABLE"
    method = ag.get_method(restApiId=out["ApiId"], resourceId=out["ItemsId"], httpMethod="GET")
    assert method["authorizerId"] == out["AuthId"] and method["authorizationType"] == "COGNITO_USER_POOLS"
    integration = method["methodIntegration"]
    assert integration["connectionType"] == "VPC_LINK" and integration["connectionId"] == out["LinkId"]
    assert integration["timeoutInMillis"] == 10000
    stage = ag.get_stage(restApiId=out["ApiId"], stageName="prod")
    assert out["Stage"] == "prod" and stage["deploymentId"] == out["Deployment"]
    assert stage["methodSettings"]["*/*"]["throttlingBurstLimit"] == 100
    assert stage["methodSettings"]["*/*"]["metricsEnabled"] is True
    assert stage["accessLogSettings"]["format"] == "$context.requestId"
    assert ag.get_deployment(restApiId=out["ApiId"], deploymentId=out["Deployment"])["id"] == out["Deployment"]
    assert ag.get_account()["cloudwatchRoleArn"] == out["RoleArn"]

    body = _api(200, "cognito2")
    body = body.replace(json.loads(body)["Resources"]["Api"]["Properties"]["Name"],
                        ag.get_rest_api(restApiId=out["ApiId"])["name"])
    body = body.replace(json.loads(body)["Resources"]["Link"]["Properties"]["Name"], link["name"])
    stack.update(body)
    assert stack.outputs["AuthId"] == out["AuthId"] and stack.outputs["ApiId"] == out["ApiId"]
    assert ag.get_authorizer(restApiId=out["ApiId"], authorizerId=out["AuthId"])["name"] == "cognito2"
    assert ag.get_stage(restApiId=out["ApiId"], stageName="prod")["methodSettings"]["*/*"]["throttlingBurstLimit"] == 200

    stack.delete()
    assert gone(lambda: ag.get_rest_api(restApiId=out["ApiId"]))
    assert gone(lambda: ag.get_vpc_link(vpcLinkId=out["LinkId"]))


# --- CloudWatch alarm, SNS subscription ----------------------------------------------------
def _alarm(threshold: float, filter_policy: dict) -> str:
    return template({
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {}},
        "Sub": {"Type": "AWS::SNS::Subscription", "Properties": {
            "TopicArn": {"Ref": "Topic"}, "Protocol": "sqs", "Endpoint": {"Fn::GetAtt": ["Queue", "Arn"]},
            "RawMessageDelivery": True, "FilterPolicy": filter_policy}},
        "Mail": {"Type": "AWS::SNS::Subscription", "Properties": {
            "TopicArn": {"Ref": "Topic"}, "Protocol": "email", "Endpoint": "oncall@example.com"}},
        "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "AlarmDescription": "cpu", "Namespace": "AWS/EC2", "MetricName": "CPUUtilization",
            "Dimensions": [{"Name": "AutoScalingGroupName", "Value": "asg"}], "Statistic": "Average",
            "Period": 60, "EvaluationPeriods": 5, "DatapointsToAlarm": 5, "Threshold": threshold,
            "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": "Topic"}], "OKActions": [{"Ref": "Topic"}]}},
    }, outputs={"Alarm": {"Ref": "Alarm"}, "AlarmArn": {"Fn::GetAtt": ["Alarm", "Arn"]}, "Topic": {"Ref": "Topic"},
                "Sub": {"Ref": "Sub"}, "Mail": {"Ref": "Mail"}})


def test_cloudwatch_alarm_and_sns_subscription(aws):
    stack = create(aws, _alarm(80, {"a": ["1"]}))
    out = stack.outputs
    cw, sns = aws("cloudwatch"), aws("sns")
    alarm = cw.describe_alarms(AlarmNames=[out["Alarm"]])["MetricAlarms"][0]
    assert alarm["AlarmArn"] == out["AlarmArn"] and alarm["Threshold"] == 80
    assert alarm["DatapointsToAlarm"] == 5 and alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmActions"] == [out["Topic"]] and alarm["StateValue"] == "INSUFFICIENT_DATA"
    subs = {s["SubscriptionArn"]: s for s in sns.list_subscriptions_by_topic(TopicArn=out["Topic"])["Subscriptions"]}
    # the e-mail one waits for a person (AWS lists it as PendingConfirmation until then)
    assert set(subs) == {out["Sub"], "PendingConfirmation"}
    assert subs["PendingConfirmation"]["Endpoint"] == "oncall@example.com"
    assert sns.get_subscription_attributes(SubscriptionArn=out["Mail"])["Attributes"]["PendingConfirmation"] == "true"
    attrs = sns.get_subscription_attributes(SubscriptionArn=out["Sub"])["Attributes"]
    assert attrs["RawMessageDelivery"] == "true" and json.loads(attrs["FilterPolicy"]) == {"a": ["1"]}

    stack.update(_alarm(90, {"a": ["2"]}))
    assert stack.outputs["Alarm"] == out["Alarm"] and stack.outputs["Sub"] == out["Sub"]
    assert cw.describe_alarms(AlarmNames=[out["Alarm"]])["MetricAlarms"][0]["Threshold"] == 90
    assert json.loads(sns.get_subscription_attributes(SubscriptionArn=out["Sub"])["Attributes"]["FilterPolicy"]) == {"a": ["2"]}

    stack.delete()
    assert cw.describe_alarms(AlarmNames=[out["Alarm"]])["MetricAlarms"] == []
    assert gone(lambda: sns.get_subscription_attributes(SubscriptionArn=out["Sub"]))


# --- CloudTrail, S3 bucket policy -----------------------------------------------------------
def _trail(logging: bool, sid: str) -> str:
    return template({
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}},
        "Policy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "Bucket"}, "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [{"Sid": sid, "Effect": "Allow",
                                                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                                                    "Action": "s3:GetBucketAcl",
                                                    "Resource": {"Fn::GetAtt": ["Bucket", "Arn"]}}]}}},
        "Trail": {"Type": "AWS::CloudTrail::Trail", "DependsOn": "Policy", "Properties": {
            "S3BucketName": {"Ref": "Bucket"}, "IsLogging": logging, "IsMultiRegionTrail": True,
            "EnableLogFileValidation": True, "IncludeGlobalServiceEvents": True}},
    }, outputs={"Trail": {"Ref": "Trail"}, "Arn": {"Fn::GetAtt": ["Trail", "Arn"]}, "Bucket": {"Ref": "Bucket"},
                "Policy": {"Ref": "Policy"}})


def test_cloudtrail_trail_and_bucket_policy(aws):
    stack = create(aws, _trail(True, "One"))
    out = stack.outputs
    ct, s3 = aws("cloudtrail"), aws("s3")
    trail = ct.describe_trails(trailNameList=[out["Trail"]])["trailList"][0]
    assert trail["TrailARN"] == out["Arn"] and trail["IsMultiRegionTrail"] and trail["LogFileValidationEnabled"]
    assert trail["S3BucketName"] == out["Bucket"] and ct.get_trail_status(Name=out["Trail"])["IsLogging"] is True
    assert out["Policy"] == out["Bucket"]
    assert json.loads(s3.get_bucket_policy(Bucket=out["Bucket"])["Policy"])["Statement"][0]["Sid"] == "One"

    stack.update(_trail(False, "Two"))
    assert stack.outputs["Trail"] == out["Trail"]
    assert ct.get_trail_status(Name=out["Trail"])["IsLogging"] is False
    assert json.loads(s3.get_bucket_policy(Bucket=out["Bucket"])["Policy"])["Statement"][0]["Sid"] == "Two"

    stack.delete()
    assert gone(lambda: ct.get_trail_status(Name=out["Trail"]), "TrailNotFoundException")
    assert gone(lambda: s3.get_bucket_policy(Bucket=out["Bucket"]), "NoSuchBucket")


# --- Secrets Manager, ACM -----------------------------------------------------------------
def _secret(description: str) -> str:
    return template({
        "Generated": {"Type": "AWS::SecretsManager::Secret", "Properties": {
            "Description": description, "GenerateSecretString": {
                "SecretStringTemplate": json.dumps({"username": "app"}), "GenerateStringKey": "password",
                "PasswordLength": 24, "ExcludeCharacters": "\"@/\\"}}},
        "Plain": {"Type": "AWS::SecretsManager::Secret", "Properties": {"Name": unique("plain"), "SecretString": "s3cr3t"}},
    }, outputs={"Generated": {"Ref": "Generated"}, "Id": {"Fn::GetAtt": ["Generated", "Id"]}, "Plain": {"Ref": "Plain"}})


def test_secretsmanager_secret(aws):
    stack = create(aws, _secret("first"))
    out = stack.outputs
    sm = aws("secretsmanager")
    assert out["Generated"] == out["Id"] and out["Generated"].startswith(f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:")
    value = json.loads(sm.get_secret_value(SecretId=out["Generated"])["SecretString"])
    assert value["username"] == "app" and len(value["password"]) == 24
    assert sm.get_secret_value(SecretId=out["Plain"])["SecretString"] == "s3cr3t"

    body = _secret("second")
    body = body.replace(json.loads(body)["Resources"]["Plain"]["Properties"]["Name"],
                        sm.describe_secret(SecretId=out["Plain"])["Name"])
    stack.update(body)
    assert stack.outputs["Generated"] == out["Generated"]
    assert sm.describe_secret(SecretId=out["Generated"])["Description"] == "second"
    assert json.loads(sm.get_secret_value(SecretId=out["Generated"])["SecretString"]) == value  # value unchanged

    stack.delete()
    assert gone(lambda: sm.describe_secret(SecretId=out["Generated"]))


def test_acm_certificate_with_dns_validation_records(aws):
    zone = aws("route53").create_hosted_zone(Name="emu-test.example", CallerReference=unique("z"))["HostedZone"]["Id"]
    zone_id = zone.split("/")[-1]
    stack = create(aws, template({"Cert": {"Type": "AWS::CertificateManager::Certificate", "Properties": {
        "DomainName": "www.emu-test.example", "ValidationMethod": "DNS",
        "DomainValidationOptions": [{"DomainName": "www.emu-test.example", "HostedZoneId": zone_id}]}}},
        outputs={"Arn": {"Ref": "Cert"}}))
    arn = stack.outputs["Arn"]
    acm = aws("acm")
    cert = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert arn.startswith(f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/") and cert["Status"] == "ISSUED"
    record = cert["DomainValidationOptions"][0]["ResourceRecord"]
    names = [r["Name"] for r in aws("route53").list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]]
    assert record["Name"] in names
    stack.delete()
    assert gone(lambda: acm.describe_certificate(CertificateArn=arn), "ResourceNotFoundException")


# --- EC2 security group rules ----------------------------------------------------------------
def _groups(description: str) -> str:
    res = _network(0)
    res.update({
        "App": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": "app", "VpcId": {"Ref": "Vpc"},
            "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080,
                                      "CidrIp": "10.1.0.0/16", "Description": "from vpc"}],
            "SecurityGroupEgress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"}]}},
        "Db": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "db", "VpcId": {"Ref": "Vpc"}}},
        "AppToDb": {"Type": "AWS::EC2::SecurityGroupEgress", "Properties": {
            "GroupId": {"Ref": "App"}, "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
            "DestinationSecurityGroupId": {"Ref": "Db"}, "Description": description}},
        "DbFromApp": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
            "GroupId": {"Ref": "Db"}, "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
            "SourceSecurityGroupId": {"Ref": "App"}}},
    })
    return template(res, outputs={"App": {"Ref": "App"}, "Db": {"Ref": "Db"}, "Egress": {"Ref": "AppToDb"},
                                  "Ingress": {"Ref": "DbFromApp"}})


def _perms(ec2, group_id: str) -> tuple[list, list]:
    g = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    return g["IpPermissions"], g["IpPermissionsEgress"]


def test_ec2_security_group_egress_and_ingress_resources(aws):
    stack = create(aws, _groups("to db"))
    out = stack.outputs
    ec2 = aws("ec2")
    ingress, egress = _perms(ec2, out["App"])
    assert ingress[0]["IpRanges"] == [{"CidrIp": "10.1.0.0/16", "Description": "from vpc"}]
    # declared egress replaced the default allow-all rule; the separate resource added one
    assert not any(p["IpProtocol"] == "-1" for p in egress)
    to_db = [p for p in egress if p.get("FromPort") == 5432]
    assert to_db and to_db[0]["UserIdGroupPairs"][0]["GroupId"] == out["Db"]
    assert to_db[0]["UserIdGroupPairs"][0]["Description"] == "to db"
    assert out["Egress"].startswith("sgr-") and out["Ingress"].startswith("sgr-")
    assert _perms(ec2, out["Db"])[0][0]["UserIdGroupPairs"][0]["GroupId"] == out["App"]

    stack.update(_groups("postgres"))  # a rule resource is replaced
    egress = _perms(ec2, out["App"])[1]
    assert [p["UserIdGroupPairs"][0]["Description"] for p in egress if p.get("FromPort") == 5432] == ["postgres"]

    stack.delete()
    assert gone(lambda: ec2.describe_security_groups(GroupIds=[out["App"]]), "InvalidGroup.NotFound")


# --- Auto Scaling scaling policy -----------------------------------------------------------
def _scaling(target: float) -> str:
    res = _network(2)
    res.update({
        "Lt": {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": {
            "ImageId": "ami-0d27e0fb3bac4d724", "InstanceType": "t3.micro"}}},
        "Asg": {"Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": {
            "MinSize": "1", "MaxSize": "2", "DesiredCapacity": "1",
            "VPCZoneIdentifier": [{"Ref": "Subnet0"}, {"Ref": "Subnet1"}],
            "LaunchTemplate": {"LaunchTemplateId": {"Ref": "Lt"}, "Version": {"Fn::GetAtt": ["Lt", "LatestVersionNumber"]}}}},
        "Policy": {"Type": "AWS::AutoScaling::ScalingPolicy", "Properties": {
            "AutoScalingGroupName": {"Ref": "Asg"}, "PolicyType": "TargetTrackingScaling",
            "TargetTrackingConfiguration": {"PredefinedMetricSpecification": {
                "PredefinedMetricType": "ASGAverageCPUUtilization"}, "TargetValue": target}}},
    })
    return template(res, outputs={"Asg": {"Ref": "Asg"}, "Policy": {"Ref": "Policy"},
                                  "Arn": {"Fn::GetAtt": ["Policy", "Arn"]}})


def test_autoscaling_scaling_policy(aws):
    stack = create(aws, _scaling(60))
    out = stack.outputs
    asc = aws("autoscaling")
    policy = asc.describe_policies(AutoScalingGroupName=out["Asg"])["ScalingPolicies"][0]
    assert policy["PolicyARN"] == out["Policy"] == out["Arn"] and policy["PolicyType"] == "TargetTrackingScaling"
    assert policy["TargetTrackingConfiguration"]["TargetValue"] == 60
    stack.update(_scaling(70))
    assert stack.outputs["Policy"] == out["Policy"]
    assert asc.describe_policies(AutoScalingGroupName=out["Asg"])["ScalingPolicies"][0][
        "TargetTrackingConfiguration"]["TargetValue"] == 70
    stack.delete()
    assert asc.describe_policies(AutoScalingGroupName=out["Asg"])["ScalingPolicies"] == []
    assert asc.describe_auto_scaling_groups(AutoScalingGroupNames=[out["Asg"]])["AutoScalingGroups"] == []


# --- deletes tolerate "already gone" -----------------------------------------------------------
def test_out_of_band_deletes_do_not_fail_the_stack_delete(aws):
    stack = create(aws, template({
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
        "Sub": {"Type": "AWS::SNS::Subscription", "Properties": {
            "TopicArn": {"Ref": "Topic"}, "Protocol": "email", "Endpoint": "a@example.com"}},
        "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "Namespace": "N", "MetricName": "M", "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 1,
            "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold"}},
        "Secret": {"Type": "AWS::SecretsManager::Secret", "Properties": {"SecretString": "x"}},
        "Oac": {"Type": "AWS::CloudFront::OriginAccessControl", "Properties": {"OriginAccessControlConfig": {
            "Name": unique("oac"), "OriginAccessControlOriginType": "s3", "SigningBehavior": "always",
            "SigningProtocol": "sigv4"}}},
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}},
        "Pool": {"Type": "AWS::Cognito::UserPool", "Properties": {}},
        "Client": {"Type": "AWS::Cognito::UserPoolClient", "Properties": {"UserPoolId": {"Ref": "Pool"}}},
    }, outputs={"Sub": {"Ref": "Sub"}, "Alarm": {"Ref": "Alarm"}, "Secret": {"Ref": "Secret"},
                "Oac": {"Ref": "Oac"}, "Logs": {"Ref": "Logs"}, "Pool": {"Ref": "Pool"}}))
    out = stack.outputs
    aws("sns").unsubscribe(SubscriptionArn=out["Sub"])
    aws("cloudwatch").delete_alarms(AlarmNames=[out["Alarm"]])
    aws("secretsmanager").delete_secret(SecretId=out["Secret"], ForceDeleteWithoutRecovery=True)
    aws("cloudfront").delete_origin_access_control(
        Id=out["Oac"], IfMatch=aws("cloudfront").get_origin_access_control(Id=out["Oac"])["ETag"])
    aws("logs").delete_log_group(logGroupName=out["Logs"])
    aws("cognito-idp").delete_user_pool(UserPoolId=out["Pool"])  # the client goes with its pool
    stack.delete()


def test_model_delete_twice_is_a_no_op(aws):
    from moto.cloudformation.models import cloudformation_backends

    stack = create(aws, template({
        "Secret": {"Type": "AWS::SecretsManager::Secret", "Properties": {"SecretString": "x"}},
        "Oac": {"Type": "AWS::CloudFront::OriginAccessControl", "Properties": {"OriginAccessControlConfig": {
            "Name": unique("oac"), "OriginAccessControlOriginType": "s3", "SigningBehavior": "always",
            "SigningProtocol": "sigv4"}}}}))
    resources = cloudformation_backends[ACCOUNT][REGION].stacks[stack.stack_id].resource_map._parsed_resources
    for logical in ("Secret", "Oac"):
        resources[logical].delete(ACCOUNT, REGION)
        resources[logical].delete(ACCOUNT, REGION)
        resources[logical].deleted = False
        resources[logical].delete(ACCOUNT, REGION)  # the backend says "not found": tolerated
    stack.delete()


def test_native_overrides_delete_in_any_order(aws):
    """Types moto could not delete (IGW, attachment, route table, route, association, NAT, EIP)
    are deleted with the stack; deleting pieces out of band first is tolerated."""
    res = _network(1)
    res.update({
        "Igw": {"Type": "AWS::EC2::InternetGateway"},
        "Attach": {"Type": "AWS::EC2::VPCGatewayAttachment", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "InternetGatewayId": {"Ref": "Igw"}}},
        "Rt": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}},
        "Default": {"Type": "AWS::EC2::Route", "DependsOn": "Attach", "Properties": {
            "RouteTableId": {"Ref": "Rt"}, "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": {"Ref": "Igw"}}},
        "Assoc": {"Type": "AWS::EC2::SubnetRouteTableAssociation", "Properties": {
            "RouteTableId": {"Ref": "Rt"}, "SubnetId": {"Ref": "Subnet0"}}},
        "Eip": {"Type": "AWS::EC2::EIP", "DependsOn": "Attach", "Properties": {"Domain": "vpc"}},
        "Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {
            "AllocationId": {"Fn::GetAtt": ["Eip", "AllocationId"]}, "SubnetId": {"Ref": "Subnet0"}}},
    })
    stack = create(aws, template(res, outputs={"Vpc": {"Ref": "Vpc"}, "Rt": {"Ref": "Rt"}, "Assoc": {"Ref": "Assoc"},
                                                "Igw": {"Ref": "Igw"}, "Nat": {"Ref": "Nat"}}))
    out = stack.outputs
    ec2 = aws("ec2")
    table = ec2.describe_route_tables(RouteTableIds=[out["Rt"]])["RouteTables"][0]
    assert [a["RouteTableAssociationId"] for a in table["Associations"]] == [out["Assoc"]]
    assert any(r.get("GatewayId") == out["Igw"] for r in table["Routes"])
    ec2.disassociate_route_table(AssociationId=out["Assoc"])  # out of band
    stack.delete()
    assert ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [out["Vpc"]]}])["RouteTables"] == []
    assert gone(lambda: ec2.describe_internet_gateways(InternetGatewayIds=[out["Igw"]]), "InvalidInternetGatewayID.NotFound")
    assert ec2.describe_nat_gateways(NatGatewayIds=[out["Nat"]])["NatGateways"][0]["State"] == "deleted"
    assert gone(lambda: ec2.describe_vpcs(VpcIds=[out["Vpc"]]), "InvalidVpcID.NotFound")
