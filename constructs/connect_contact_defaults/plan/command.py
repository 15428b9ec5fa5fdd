"""The command line: ``connect-contact-defaults plan|drift`` (also ``python -m connect_contact_defaults``).

Exit code 0: nothing would change (no drift); 2: something would (drift found); 1: an error. As
``terraform plan -detailed-exitcode``, so that a pipeline can gate on it.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from connect_contact_defaults import __version__
from connect_contact_rules import RuleViolation, check_max_requests_per_second

from .aws_clients import AwsClients
from .cloud_assembly import AssemblyError, AssemblyStack, contact_defaults_resources, read_stacks
from .command_errors import PlanError, no_region
from .deployed_stacks import DeployedStack, deployed_stack_from_cloudformation, deployed_stack_from_file
from .plan_report import StackPlan, has_changes, plan_json, plan_text
from .resource_plans import Action, ContactPlanner, ResourcePlan, coarse_action, drift_phases, plan_phases
from .template_values import StackEnvironment, Unresolvable, parameter_values

EXIT_NO_CHANGES = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2

DESCRIPTION = """\
Shows what a deployment will do to Amazon Connect contacts (plan), or which contacts no longer hold what
the deployed stack declares (drift), per ContactDefaults: contacts to write, unchanged, missing and that
would fail, expiry, and per attribute key how many contacts get it set or cleared. It makes read calls
only (DescribeContact, GetContactAttributes), with the planning rules of the custom resource's handler.
Attribute values are never printed without --show-values.

Exit code: 0 nothing would change, 2 something would (drift found), 1 an error.
"""


class _ArgumentParser(argparse.ArgumentParser):
    """Usage errors exit with 1: exit code 2 means 'changes' here."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def _rate(text: str) -> float:
    try:
        rate = float(text)
        check_max_requests_per_second(rate, "--max-requests-per-second")
    except (ValueError, RuleViolation) as error:
        raise argparse.ArgumentTypeError(
            str(error) if isinstance(error, RuleViolation) else f"{text!r} is not a number"
        ) from None
    if not math.isfinite(rate):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return rate


def build_parser() -> argparse.ArgumentParser:
    common = _ArgumentParser(add_help=False)
    common.add_argument(
        "--assembly",
        type=Path,
        default=Path("cdk.out"),
        metavar="DIR",
        help="the cloud assembly `cdk synth` wrote (default: cdk.out)",
    )
    common.add_argument(
        "--stack",
        action="extend",
        nargs="+",
        metavar="NAME",
        help="stacks to plan, by stack name, artifact ID or display name (glob patterns allowed; "
        "default: every stack of the assembly that declares or declared a ContactDefaults)",
    )
    common.add_argument(
        "--deployed-template",
        type=Path,
        metavar="FILE",
        help="the deployed template as a file, instead of CloudFormation's GetTemplate of the stack "
        "(for pipelines that keep the last deployed template; needs exactly one stack)",
    )
    common.add_argument(
        "--max-requests-per-second",
        type=_rate,
        metavar="N",
        help="at most N Connect calls per second, retries included (default: each resource's declared "
        "max_requests_per_second)",
    )
    common.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    common.add_argument(
        "--show-values",
        action="store_true",
        help="also print attribute values (now and to be written) of the first contacts; they may be personal data",
    )
    parser = _ArgumentParser(
        prog="connect-contact-defaults", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{plan,drift}")
    commands.add_parser(
        "plan",
        parents=[common],
        help="what deploying the assembly will do to contacts",
        description="Compares the assembly with the deployed stack and the live contacts: what the next "
        "deployment writes. Exit code 0: nothing would change, 2: something would, 1: an error.",
    )
    commands.add_parser(
        "drift",
        parents=[common],
        help="which contacts no longer hold what the deployed stack declares",
        description="Takes the deployed template as both sides: the contacts a redeploy would write. "
        "Exit code 0: no drift, 2: drift found, 1: an error.",
    )
    return parser


class StackPlanner:
    def __init__(self, clients: AwsClients, arguments: argparse.Namespace) -> None:
        self._clients = clients
        self._arguments = arguments

    def plan(self, stack: AssemblyStack, *, drift: bool) -> StackPlan:
        region = stack.region or self._clients.default_region
        if not region:
            raise no_region()
        deployed = self._deployed(stack, region)
        account = self._account(stack, deployed, region)
        new_environment = StackEnvironment(
            region, stack.stack_name, account, parameter_values(stack.template, deployed.parameters)
        )
        old_environment = StackEnvironment(
            region, stack.stack_name, account, parameter_values(deployed.template or {}, deployed.parameters)
        )
        planner = ContactPlanner(
            self._clients,
            stack_region=region,
            file_assets=stack.file_assets,
            max_requests_per_second=self._arguments.max_requests_per_second,
            show_values=self._arguments.show_values,
        )
        new = contact_defaults_resources(stack.template)
        old = contact_defaults_resources(deployed.template or {})
        report = StackPlan(stack.stack_name, deployed.source)
        if drift:
            if deployed.template is None:
                raise PlanError(f"{deployed.source}: there is no deployed declaration to drift from")
            for logical_id, resource in old.items():
                plan = ResourcePlan(resource.path, logical_id, Action.NONE)
                try:
                    planner.plan(plan, drift_phases(resource, old_environment))
                except (Unresolvable, RuleViolation) as error:
                    plan.unknown = str(error)
                if plan.write or plan.would_fail or plan.expiry_set:
                    plan.action = Action.UPDATE
                report.resources.append(plan)
            return report
        for logical_id in [*new, *(key for key in old if key not in new)]:
            source = new.get(logical_id) or old[logical_id]
            plan = ResourcePlan(source.path, logical_id, coarse_action(new.get(logical_id), old.get(logical_id)))
            try:
                plan.action, phases, plan.fails = plan_phases(
                    new.get(logical_id), old.get(logical_id), new_environment, old_environment
                )
                planner.plan(plan, phases)
            except Unresolvable as error:
                plan.unknown = str(error)
            report.resources.append(plan)
        return report

    def _deployed(self, stack: AssemblyStack, region: str) -> DeployedStack:
        if self._arguments.deployed_template is not None:
            return deployed_stack_from_file(self._arguments.deployed_template)
        account = f"account {stack.account}" if stack.account else "the caller's account"
        where = f"{account} in {region}"
        if stack.account is not None:
            caller = self._clients.caller_account(region)
            if caller != stack.account:
                raise PlanError(
                    f"stack {stack.stack_name} is in account {stack.account}, but the credentials are for account "
                    f"{caller}: use credentials for {stack.account}, or pass --deployed-template"
                )
        return deployed_stack_from_cloudformation(self._clients.cloudformation(region), stack.stack_name, where)

    def _account(self, stack: AssemblyStack, deployed: DeployedStack, region: str) -> Callable[[], str]:
        known = stack.account or deployed.account
        if known is not None:
            return lambda: known
        return lambda: self._clients.caller_account(region)


def run(arguments: argparse.Namespace) -> int:
    drift = arguments.command == "drift"
    stacks = read_stacks(arguments.assembly, arguments.stack)
    if arguments.deployed_template is not None and len(stacks) != 1:
        names = ", ".join(stack.stack_name for stack in stacks) or "none"
        raise PlanError(f"--deployed-template is the template of one stack: choose it with --stack (stacks: {names})")
    planner = StackPlanner(AwsClients(), arguments)
    plans = []
    for stack in stacks:
        plan = planner.plan(stack, drift=drift)
        if plan.resources or arguments.stack:
            plans.append(plan)
    if arguments.json:
        print(plan_json(plans, show_values=arguments.show_values))
    else:
        print(plan_text(plans, drift=drift, show_values=arguments.show_values))
    return EXIT_CHANGES if has_changes(plans) else EXIT_NO_CHANGES


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    # the handler's modules log for CloudWatch; the plan says the same in its report
    reconciler_log = logging.getLogger("contact_reconciler")
    reconciler_log.addHandler(logging.NullHandler())
    reconciler_log.propagate = False
    try:
        return run(arguments)
    except (PlanError, AssemblyError) as error:
        print(f"connect-contact-defaults {arguments.command}: error: {error}", file=sys.stderr)
        return EXIT_ERROR
