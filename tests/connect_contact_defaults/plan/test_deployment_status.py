"""The status decisions, pure: a resource's state from its record and CloudFormation's status, and when
--watch ends."""

import dataclasses

from connect_contact_defaults.plan.deployment_status import ResourceStatus, StackStatus, resource_state
from contact_reconciler.progress_record import ProgressSnapshot

DONE = ProgressSnapshot("Create", "r1", "done", 100.0, 200.0, 5, 5, 5, 0, 0, 0, 0, 1, None, None)
RUNNING = dataclasses.replace(DONE, state="running", updated_at=300.0)


def test_no_record_is_waiting_and_a_record_gives_its_state():
    assert resource_state(None, "CREATE_IN_PROGRESS", 250.0) == "waiting"
    assert resource_state(DONE, "CREATE_COMPLETE", 150.0) == "done"
    assert resource_state(RUNNING, "UPDATE_IN_PROGRESS", 250.0) == "running"


def test_an_earlier_operations_record_while_cloudformation_works_again_is_waiting():
    assert resource_state(DONE, "UPDATE_IN_PROGRESS", 250.0) == "waiting"  # written before this operation began
    assert resource_state(DONE, "UPDATE_IN_PROGRESS", 150.0) == "done"  # written by this operation


def stack(stack_status, *states):
    resources = [
        ResourceStatus(f"R{index}", f"S/R{index}", None, None, state, None) for index, state in enumerate(states)
    ]
    return StackStatus("S", "table", stack_status, resources)


def test_watch_ends_when_nothing_runs_and_nothing_waits_or_nothing_will_start():
    assert stack("UPDATE_IN_PROGRESS", "done", "waiting").finished is False
    assert stack("UPDATE_IN_PROGRESS", "done", "running").finished is False
    assert stack("UPDATE_IN_PROGRESS", "done", "done").finished is True
    assert stack("UPDATE_ROLLBACK_FAILED", "failed", "waiting").finished is True  # the operation ended
    assert stack("CREATE_COMPLETE", "running").finished is False  # a chain still at work
    assert stack("CREATE_IN_PROGRESS", "done", "waiting", "waiting").queued == 2
