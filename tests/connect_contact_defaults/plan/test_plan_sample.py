"""plan --sample: a uniform random sample of each selection, its counts extrapolated with 95% intervals; and the
line that says, before reading, how many contacts the plan reads and how long that takes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import tool_env
from plan_testing import ROOT, write_template
from sample_app import INSTANCE_ID

from connect_contact_defaults.plan.sample_estimate import INTERVAL, extrapolate, sample_positions
from connect_contact_defaults.testing.connect_emulator import SeedContact

SAMPLE_APP = Path(__file__).resolve().parent / "sample_app.py"
CONTACTS = [f"sample-{n:05d}" for n in range(5_000)]
SEED = "1"
"""Fixed, so the test is deterministic. The intervals are simultaneous 95% intervals: all six hold the full plan's
counts in at least 95% of samples (of seeds 1 to 200, 8 samples of this selection miss one; seed 1 does not).
test_the_interval_covers_the_true_count checks the coverage over 400 seeds."""


def seeded(contact_id: str) -> SeedContact | None:
    """A mix of outcomes, spread over the file: 1 in 10 missing, 1 in 50 too large to write (would fail),
    3 in 10 already hold the declared value, the rest need a write; email and task contacts take the expiry."""
    n = int(contact_id.rsplit("-", 1)[1])
    rank = (n * 7_919) % 100  # not in file order: a sample of the first lines would be biased
    if rank < 10:
        return None
    channel = ("EMAIL", "TASK", "VOICE", "CHAT")[n % 4]
    if rank < 12:
        return SeedContact(contact_id, channel=channel, attributes={"notes": "x" * 32_760})
    if rank < 42:
        return SeedContact(contact_id, channel="VOICE", attributes={"greeting": "hello"})
    return SeedContact(contact_id, channel=channel)


@pytest.fixture(scope="module")
def sample_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("sample-app")
    contact_file = work / "contacts.txt"
    contact_file.write_text("\n".join(CONTACTS) + "\n")
    out = work / "cdk.out"
    command = [
        str(ROOT / "node_modules" / ".bin" / "cdk"), "synth", "--quiet", "--app", f"{sys.executable} {SAMPLE_APP}",
        "--output", str(out), "-c", f"sampleFile={contact_file}",
    ]  # fmt: skip
    completed = subprocess.run(command, cwd=work, env=tool_env(), capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return out


def test_each_extrapolated_count_lies_within_its_margin_of_the_full_plans(
    run_command, emulator, sample_assembly, tmp_path
):
    emulator.add_contacts(INSTANCE_ID, [contact for contact in map(seeded, CONTACTS) if contact is not None])
    empty = write_template(tmp_path, {"Resources": {}})
    args = ["plan", "--assembly", sample_assembly, "--deployed-template", empty, "--json"]

    full = run_command(*args)
    assert full.exit_code == 2, full.stderr
    counts = full.resource()["contacts"]
    assert counts["missing"] == 500
    assert counts["wouldFail"] == 100
    assert counts["unchanged"] == 1_500
    assert counts["write"] == 2_900

    before = len(emulator.requests)
    sampled = run_command(*args, "--sample", "200", "--sample-seed", SEED)
    assert sampled.exit_code == 2
    assert len(emulator.requests) - before <= 2 * 200  # DescribeContact and GetContactAttributes: the sample only
    resource = sampled.resource()
    sample = resource["sample"]
    assert (sample["read"], sample["contacts"]) == (200, 5_000)
    assert sample["interval"] == INTERVAL
    assert "simultaneous 95% Wilson score intervals" in INTERVAL
    for name in ("write", "unchanged", "missing", "wouldFail", "expirySet", "expirySkipped"):
        full_count = counts[name] if name in counts else full.resource()[name]
        estimate = sample["estimates"][name]
        assert estimate["low"] <= full_count <= estimate["high"], (name, full_count, estimate)
        assert estimate["low"] <= estimate["estimate"] <= estimate["high"]
        assert estimate["high"] - estimate["low"] < 1_000, "a sample of 200 of 5,000 gives intervals of a few %"
    assert resource["contacts"]["write"] == sample["estimates"]["write"]["estimate"]
    assert resource["fails"].startswith("estimated from a sample of 200 of 5,000 contacts: ")

    text = run_command(*args[:-1], "--sample", "200", "--sample-seed", SEED)
    assert "ESTIMATES from a uniform random sample of 200 of 5,000 contacts" in text.stdout
    assert f"({INTERVAL}):" in text.stdout
    assert "      to write: about " in text.stdout
    assert "Sampled/Defaults Create: reading 200 contacts (a sample of 200 of 5,000) at 1000 requests/s" in text.stderr


def test_before_reading_the_plan_says_how_many_contacts_and_how_long(run_command, emulator, sample_assembly, tmp_path):
    empty = write_template(tmp_path, {"Resources": {}})
    run = run_command("plan", "--assembly", sample_assembly, "--deployed-template", empty, "--sample", "100")
    # 100 contacts at 1000 requests/s (95% of it): 0.1 s
    assert "Sampled/Defaults Create: reading 100 contacts (a sample of 100 of 5,000) at 1000 requests/s, about 1 s" in (
        run.stderr
    )
    quiet = run_command("plan", "--assembly", sample_assembly, "--deployed-template", empty, "--sample", "5", "--json")
    assert quiet.stderr == ""  # --json: nothing extra


def test_the_sample_is_uniform_and_repeatable():
    assert sample_positions(10, 20, seed=1) == list(range(10))
    first = sample_positions(5_000, 200, seed=3)
    assert first == sample_positions(5_000, 200, seed=3)
    assert len(set(first)) == 200 and first == sorted(first)
    # positions spread over the whole population (no bias towards the start of a file)
    assert min(first) < 500 and max(first) > 4_500


@pytest.mark.parametrize(("count", "sample", "population"), [(0, 200, 5_000), (20, 200, 5_000), (200, 200, 5_000)])
def test_the_interval_is_a_wilson_interval_with_finite_population_correction(count, sample, population):
    estimate = extrapolate(count, sample, population)
    assert estimate.value == round(count / sample * population)
    assert count <= estimate.low <= estimate.value <= estimate.high <= population - (sample - count)
    if count == 0:
        assert estimate.high > 0  # zero in the sample does not mean zero in the selection
    whole = extrapolate(count, population, population)
    assert (whole.low, whole.value, whole.high) == (count, count, count)  # the whole population: exact


def test_the_interval_covers_the_true_count():
    """Many samples of one known population (deterministic seeds): each interval is at 1 - 0.05 / 6 (Bonferroni),
    so one count's interval holds the true count in about 99% of samples, and not always (it is not too wide)."""
    population, true_count, size = 5_000, 600, 200
    members = [position < true_count for position in range(population)]
    covered = 0
    trials = 400
    for seed in range(trials):
        positions = sample_positions(population, size, seed)
        estimate = extrapolate(sum(members[position] for position in positions), size, population)
        covered += estimate.low <= true_count <= estimate.high
    assert 0.975 <= covered / trials < 1.0
