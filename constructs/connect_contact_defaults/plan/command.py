"""The command line: ``connect-contact-defaults plan|drift|status`` (also ``python -m connect_contact_defaults``).

Exit code 0: nothing would change (no drift); 2: something would (drift found); 1: an error. As
``terraform plan -detailed-exitcode``, so that a pipeline can gate on it. ``status``: 0 every resource is
done, 2 one is waiting, running or failed, 1 an error.
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
from .deployment_status import StackStatus, StatusReader, watch
from .plan_report import StackPlan, has_changes, plan_json, plan_text
from .resource_plans import Action, ContactPlanner, ResourcePlan, coarse_action, drift_phases, plan_phases
from .status_report import status_json, status_renderable
from .template_values import StackEnvironment, Unresolvable, parameter_values

EXIT_NO_CHANGES = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
TEXT_WIDTH_OUTSIDE_A_TERMINAL = 200

DESCRIPTION = """\
Shows what a deployment will do to Amazon Connect contacts (plan), or which contacts no longer hold what
the deployed stack declares (drift), per ContactDefaults: contacts to write, unchanged, missing and that
would fail, expiry, and per attribute key how many contacts get it set or cleared. It makes read calls
only (DescribeContact, GetContactAttributes, and SearchContacts for a search selection; CloudFormation,
S3 and STS reads for the deployed stack and contact files), with the planning rules of the custom
resource's handler. Attribute values are never printed without --show-values.

Exit code: 0 nothing would change, 2 something would (drift found), 1 an error.
status shows how far a deployment has come (read only): exit code 0 every resource done, 2 one is waiting,
running or failed, 1 an error.

The AWS SDK's own configuration applies: credentials, AWS_REGION, and AWS_ENDPOINT_URL_CONNECT (or
AWS_ENDPOINT_URL) to call another Connect endpoint, such as the local emulator
(python -m connect_contact_defaults.testing.connect_emulator --help), with any dummy credentials
(AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing). Without an AWS account, give the deployed
side with --deployed-template FILE, or --nothing-deployed before the first deployment.
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


def _sample_size(text: str) -> int:
    try:
        size = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of contacts") from None
    if size < 1:
        raise argparse.ArgumentTypeError(f"{size} contacts: a sample holds at least 1")
    return size


def _interval(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 1 <= seconds <= 3600:
        raise argparse.ArgumentTypeError(f"{seconds:g} s is out of range; it must be 1 to 3600 seconds")
    return seconds


def _stack_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--assembly",
        type=Path,
        default=Path("cdk.out"),
        metavar="DIR",
        help="the cloud assembly `cdk synth` wrote (default: cdk.out)",
    )
    parser.add_argument(
        "--stack",
        action="extend",
        nargs="+",
        metavar="NAME",
        help="stacks to plan or show, by stack name, artifact ID or display name (glob patterns allowed; "
        "default: every stack of the assembly that declares or declared a ContactDefaults)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of text")


def build_parser() -> argparse.ArgumentParser:
    common = _ArgumentParser(add_help=False)
    _stack_options(common)
    deployed = common.add_mutually_exclusive_group()
    deployed.add_argument(
        "--deployed-template",
        type=Path,
        metavar="FILE",
        help="the deployed template as a file, instead of CloudFormation's GetTemplate of the stack "
        "(for pipelines that keep the last deployed template; needs exactly one stack)",
    )
    deployed.add_argument(
        "--nothing-deployed",
        action="store_true",
        help="take every stack as never deployed, without asking CloudFormation (a first deployment, or a "
        "trial against the local emulator): every ContactDefaults is a Create",
    )
    common.add_argument(
        "--max-requests-per-second",
        type=_rate,
        metavar="N",
        help="at most N Connect calls per second, retries included (default: each resource's declared "
        "max_requests_per_second)",
    )
    common.add_argument(
        "--sample",
        type=_sample_size,
        metavar="N",
        help="read a uniform random sample of N contacts of each selection and estimate the counts, with 95%% "
        "intervals (default: read every contact)",
    )
    common.add_argument(
        "--sample-seed", type=int, metavar="SEED", help="the seed of --sample's random choice (default: random)"
    )
    common.add_argument(
        "--show-values",
        action="store_true",
        help="also print attribute values (now and to be written) of the first contacts; they may be personal data",
    )
    parser = _ArgumentParser(
        prog="connect-contact-defaults", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{plan,drift,status}")
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
        description="Takes the deployed template as both sides: the contacts that no longer hold what it "
        "declares, which an Update of the same declaration would write. CloudFormation does not call the "
        "handler for an unchanged template: to re-apply, bump the selection's revision and deploy. "
        "Exit code 0: no drift, 2: drift found, 1: an error.",
    )
    status = commands.add_parser(
        "status",
        help="how far the deployed stack's ContactDefaults have come (read only)",
        description="Reads the deployed stack's state table (CloudFormation ListStackResources and DescribeStacks, "
        "DynamoDB Query): every ContactDefaults and shard waiting, running (with a progress bar, the rate and "
        "the time left), done or failed, and how many are still queued. "
        "Exit code 0: every resource done, 2: one is waiting, running or failed, 1: an error.",
    )
    _stack_options(status)
    status.add_argument(
        "--watch",
        action="store_true",
        help="refresh until nothing runs and nothing waits (or the stack's operation ended)",
    )
    status.add_argument(
        "--interval", type=_interval, default=5.0, metavar="SECONDS", help="--watch refreshes this often (default: 5)"
    )
    status.add_argument(
        "--state-table",
        metavar="NAME",
        help="the stack's state table by name, instead of the stack's resources (needs exactly one stack)",
    )
    return parser


def _announce(line: str) -> None:
    """Before reading: what the plan reads and how long it takes (stderr, so stdout keeps the report only)."""
    print(line, file=sys.stderr, flush=True)


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
            sample=self._arguments.sample,
            sample_seed=self._arguments.sample_seed,
            announce=None if self._arguments.json else _announce,
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
        if self._arguments.nothing_deployed:
            return DeployedStack(None, "--nothing-deployed")
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


def status_exit_code(statuses: list[StackStatus]) -> int:
    done = all(resource.state == "done" for status in statuses for resource in status.resources)
    return EXIT_NO_CHANGES if done else EXIT_CHANGES


def run_status(arguments: argparse.Namespace) -> int:
    from rich.console import Console  # noqa: PLC0415 (plan and drift start without it)
    from rich.live import Live  # noqa: PLC0415

    stacks = [
        stack
        for stack in read_stacks(arguments.assembly, arguments.stack)
        if contact_defaults_resources(stack.template)
    ]
    if not stacks:
        raise PlanError(f"no stack of the assembly at {arguments.assembly} declares a ContactDefaults")
    if arguments.state_table is not None and len(stacks) != 1:
        names = ", ".join(stack.stack_name for stack in stacks)
        raise PlanError(f"--state-table is the table of one stack: choose it with --stack (stacks: {names})")
    clients = AwsClients()

    def read() -> list[StackStatus]:
        statuses = []
        for stack in stacks:
            region = stack.region or clients.default_region
            if not region:
                raise no_region()
            reader = StatusReader(clients.cloudformation(region), clients.dynamodb(region), table=arguments.state_table)
            statuses.append(reader.read(stack))
        return statuses

    if arguments.json:
        statuses = watch(read, lambda _: None, arguments.interval) if arguments.watch else read()
        print(status_json(statuses))
        return status_exit_code(statuses)
    console = Console()
    if not console.is_terminal:
        console = Console(width=TEXT_WIDTH_OUTSIDE_A_TERMINAL)  # a pipe or a log: the table is not squeezed to 80
    if not arguments.watch:
        statuses = read()
        console.print(status_renderable(statuses))
        return status_exit_code(statuses)
    with Live(console=console, auto_refresh=False, transient=False) as live:
        statuses = watch(read, lambda shown: live.update(status_renderable(shown), refresh=True), arguments.interval)
    return status_exit_code(statuses)


def run(arguments: argparse.Namespace) -> int:
    if arguments.command == "status":
        return run_status(arguments)
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
