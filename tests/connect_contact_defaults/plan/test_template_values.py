import pytest

from connect_contact_defaults.plan.template_values import (
    StackEnvironment,
    Unresolvable,
    parameter_values,
    resolve,
    string_properties,
)


def environment(region="eu-west-2", parameters=None, account_calls=None):
    def account_id():
        if account_calls is not None:
            account_calls.append(1)
        return "123456789012"

    return StackEnvironment(region, "MyStack", account_id, parameters or {})


def test_pseudo_parameters_for_the_stack_environment():
    env = environment()
    assert resolve({"Ref": "AWS::Region"}, env) == "eu-west-2"
    assert resolve({"Ref": "AWS::Partition"}, env) == "aws"
    assert resolve({"Ref": "AWS::StackName"}, env) == "MyStack"
    assert resolve({"Ref": "AWS::URLSuffix"}, environment("cn-north-1")) == "amazonaws.com.cn"
    assert resolve({"Ref": "AWS::Partition"}, environment("cn-north-1")) == "aws-cn"
    assert resolve({"Ref": "AWS::Partition"}, environment("us-gov-west-1")) == "aws-us-gov"


def test_the_asset_bucket_sub_and_the_account_only_when_asked_for():
    calls = []
    env = environment(account_calls=calls)
    assert resolve({"A": [{"Ref": "AWS::Region"}], "B": "plain"}, env) == {"A": ["eu-west-2"], "B": "plain"}
    assert calls == []
    bucket = {"Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"}
    assert resolve(bucket, env) == "cdk-hnb659fds-assets-123456789012-eu-west-2"
    assert calls == [1]


def test_sub_with_variables_and_literals_join_select_split():
    env = environment()
    sub = {"Fn::Sub": ["${Name}-${!Literal}-${AWS::Region}", {"Name": {"Ref": "AWS::StackName"}}]}
    assert resolve(sub, env) == "MyStack-${Literal}-eu-west-2"
    assert resolve({"Fn::Join": ["/", ["a", {"Ref": "AWS::Region"}]]}, env) == "a/eu-west-2"
    assert resolve({"Fn::Select": ["1", ["a", "b"]]}, env) == "b"
    assert resolve({"Fn::Split": [",", "x,y"]}, env) == ["x", "y"]


def test_parameters_with_deployed_values_defaults_and_list_types():
    template = {
        "Parameters": {
            "Ids": {"Type": "CommaDelimitedList", "Default": "a, b"},
            "Name": {"Type": "String", "Default": "default"},
            "NoValue": {"Type": "String"},
        }
    }
    values = parameter_values(template, {"Name": "deployed"})
    assert values == {"Ids": ["a", "b"], "Name": "deployed"}
    env = environment(parameters=values)
    assert resolve({"Ref": "Ids"}, env) == ["a", "b"]
    with pytest.raises(Unresolvable, match="Ref NoValue"):
        resolve({"Ref": "NoValue"}, env)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"Fn::GetAtt": ["Function", "Arn"]}, "Fn::GetAtt Function.Arn is known only after deployment"),
        ({"Ref": "SomeResource"}, "Ref SomeResource"),
        ({"Fn::Sub": "${Function.Arn}"}, "Fn::Sub ${Function.Arn} is known only after deployment"),
        ({"Fn::ImportValue": "Shared"}, "Fn::ImportValue is not resolved before deployment"),
        ({"Fn::If": ["C", "a", "b"]}, "Fn::If is not resolved before deployment"),
    ],
)
def test_values_known_only_after_deployment(value, message):
    with pytest.raises(Unresolvable, match=message.replace("$", r"\$").replace("{", r"\{").replace(".", r"\.")):
        resolve({"Outer": [value]}, environment())


def test_string_properties_as_cloudformation_hands_them_over():
    assert string_properties({"a": 5, "b": [True, 1.5], "c": {"d": "x"}}) == {
        "a": "5",
        "b": ["true", "1.5"],
        "c": {"d": "x"},
    }
