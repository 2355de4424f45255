"""Command-line entry points: `flask --app wsgi <command>`."""
import click
from flask import Flask, current_app
from flask_migrate import upgrade

from app import demo
from app.models import DEFAULT_LOCALE, LOCALES
from app.services.cases.documents import render_pending_documents
from app.services.cases.sector_bodies import seed_sector_bodies
from app.services.design.processes import deploy_processes
from app.services.errors import ConfirmationRequiredError, JiefenError
from app.services.intake.api_tokens import create_token, revoke_tokens
from app.services.people.users import create_user
from app.services.supervision.case_counts import case_count_differences, rebuild_case_counts
from app.services.supervision.trail import anchor_heads, verify_trails
from app.services.time_limits import clock
from app.services.time_limits.timers import fire_due_timers
from forms.tasks import TASK_FORMS
from scheduler import build_scheduler


def init_app(app: Flask) -> None:
    for command in (init_db_command, deploy_processes_command, seed_demo_command, create_user_command,
                    scheduler_group, create_token_command, revoke_token_command, trail_group,
                    seed_sector_bodies_command, documents_group, case_counts_group):
        app.cli.add_command(command)


@click.command("create-token")
@click.option("--system", required=True, help="the calling system's name, e.g. police-110")
@click.option("--police-grid", default=None, help="the police grid (警格) the system serves, by name; needed the first time")
def create_token_command(system, police_grid):
    """Issue an API token for a system (shown once; only its hash is stored)."""
    try:
        issued = create_token(system, police_grid)
    except JiefenError as error:
        details = "; ".join(message for messages in getattr(error, "field_errors", {}).values() for message in messages)
        raise click.ClickException(f"{error.message} {details}".strip()) from None
    click.echo(f"system {issued.system}: service user {issued.username}, police grid {issued.police_grid}")
    click.echo("token (shown once, keep it secret):")
    click.echo(issued.token)


@click.command("revoke-token")
@click.option("--system", required=True)
def revoke_token_command(system):
    """Revoke every live API token of a system."""
    click.echo(f"revoked {revoke_tokens(system)} token(s) of {system}")


@click.command("init-db")
def init_db_command():
    """Create or upgrade the database schema to the newest migration."""
    upgrade(directory=str(current_app.config["MIGRATIONS_DIR"]))
    click.echo("数据库已是最新结构。")


@click.command("deploy-processes")
@click.option("--yes", is_flag=True, help="confirm replacing a live version that drops user tasks, forms or roles")
def deploy_processes_command(yes):
    """Deploy processes/*.bpmn; a changed file becomes a new version."""
    try:
        deployments = deploy_processes(current_app.config["PROCESSES_DIR"], TASK_FORMS, confirmed=yes)
    except ConfirmationRequiredError as error:
        raise click.ClickException("\n  ".join(
            [error.message, *_replacement_lines(error.subject), "Run again with --yes to deploy it."])) from None
    except JiefenError as error:
        # A failed validation lists each problem on a line of its own, after the element it concerns.
        raise click.ClickException("\n  ".join(
            [error.message, *(_problem_line(p) for p in getattr(error, "problems", ()))])) from None
    for deployment in deployments:
        state = "deployed" if deployment.created else "unchanged"
        click.echo(f"{deployment.key} v{deployment.version} {state}")


def _one_line(text) -> str:
    return " ".join(str(text).split())


def _problem_line(problem) -> str:
    where = f"{_one_line(problem.element_name)} [{problem.element_id}]: ".lstrip() if problem.element_id else ""
    details = f" ({_one_line(problem.details)})" if problem.details else ""
    return where + _one_line(problem.message) + details


def _replacement_lines(replacement) -> list[str]:
    diff = replacement.diff
    lines = [_one_line(line) for line in replacement.consequences]
    lines += [f"+ {_one_line(c.name)} [{c.element_id}]" for c in diff.added]
    lines += [f"- {_one_line(c.name)} [{c.element_id}]" for c in diff.removed]
    lines += [f"~ {_one_line(c.name)} [{c.element_id}]: {_one_line('; '.join(c.changes))}" for c in diff.changed]
    return lines


@click.command("seed-demo")
def seed_demo_command():
    """Load demo grids, one user per role and cases in every stage (once)."""
    try:
        logins = demo.seed_demo()
    except JiefenError as error:
        raise click.ClickException(error.message) from None
    if logins is None:
        click.echo("演示数据已存在，跳过。")
        return
    click.echo("演示账号（用户名 / 密码 / 角色）：")
    for username, password, role in logins:
        click.echo(f"  {username:<12} {password:<14} {role}")


@click.command("seed-sector-bodies")
@click.option("--town", required=True, help="the town, by name")
def seed_sector_bodies_command(town):
    """Give a town the default list of sector mediation bodies (those it lacks)."""
    try:
        added = seed_sector_bodies(town)
    except JiefenError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"{town}: added {added} sector mediation bodies")


@click.command("create-user")
@click.option("--username", required=True)
@click.option("--role", required=True)
@click.option("--password", required=True)
@click.option("--grid", "grids", multiple=True, help="grid code the user serves (repeatable)")
@click.option("--name", "display_name", default="", help="display name (defaults to the username)")
@click.option("--police-grid", default=None, help="police officers: the police grid (警格) they serve, by name")
@click.option("--room", default=None, help="mediators: their mediation room, by name")
@click.option("--town", default=None, help="dispatchers, panel members, supervisors: their town, by name")
@click.option("--locale", default=DEFAULT_LOCALE, show_default=True, type=click.Choice(list(LOCALES)),
              help="the language of the user's pages and notifications")
def create_user_command(username, role, password, grids, display_name, police_grid, room, town, locale):
    """Create a user with a role, serving the given grids (or police grid, room, town)."""
    try:
        user = create_user(username, display_name, role, password, list(grids), police_grid=police_grid,
                           mediation_room=room, town=town, locale=locale)
    except JiefenError as error:
        details = "; ".join(message for messages in getattr(error, "field_errors", {}).values() for message in messages)
        raise click.ClickException(f"{error.message} {details}".strip()) from None
    click.echo(f"created {user.username} ({user.role})")


@click.group("scheduler")
def scheduler_group():
    """The background sweep that fires timers and sends e-mail."""


@scheduler_group.command("run")
def run_scheduler_command():
    """Run the sweep every JIEFEN_SWEEP_INTERVAL_SECONDS until stopped (one process per deployment)."""
    # The app itself, for the scheduler's threads: current_app is a proxy, which Flask types as the app.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    click.echo(f"scheduler: sweeping every {app.config['SWEEP_INTERVAL_SECONDS']} s; Ctrl+C stops it")
    try:
        build_scheduler(app).start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("scheduler stopped")


@scheduler_group.command("sweep")
def sweep_once_command():
    """Run one sweep now and report what fired."""
    report = fire_due_timers()
    click.echo(f"{report.timers_fired} timers fired on {report.cases_advanced} cases; "
               f"{len(report.failed_case_ids)} cases failed; {report.remaining} cases still due")


@click.group("trail")
def trail_group():
    """The case trail: check it for tampering, and anchor its heads outside the system."""


@trail_group.command("verify")
@click.option("--case", "case_number", default=None, help="one case, by number (default: every case)")
@click.option("--anchor", "anchor_file", type=click.File("r", encoding="utf-8"), default=None,
              help="an anchor written by `trail anchor`: also finds newest entries deleted since")
def verify_trail_command(case_number, anchor_file):
    """Check every case's trail; name each broken entry; exit 1 on any break."""
    try:
        report = verify_trails(case_number, anchor_file.read() if anchor_file else None)
    except JiefenError as error:
        raise click.ClickException(error.message) from None
    for found in report.breaks:
        click.echo(str(found))
    cases = len({found.case_number for found in report.breaks})
    outcome = f"{len(report.breaks)} breaks in {cases} cases" if report.breaks else "every trail verifies"
    click.echo(f"checked {report.cases} cases, {report.entries} entries: {outcome}")
    if report.breaks:
        raise SystemExit(1)


@trail_group.command("anchor")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="write the anchor to this file and print only its digest line (default: print it all)")
def anchor_trail_command(output):
    """Record every case's trail head (run daily); keep the digest line outside the system."""
    anchor = anchor_heads(clock.now())
    if output is None:
        click.echo(anchor.text, nl=False)
        return
    with open(output, "w", encoding="utf-8") as file:
        file.write(anchor.text)
    click.echo(anchor.line)


@click.group("documents")
def documents_group():
    """The case documents (PDF) that steps ask for."""


@documents_group.command("render")
@click.option("--retry-failed", is_flag=True, help="also retry documents whose rendering failed before")
def render_documents_command(retry_failed):
    """Render every document waiting for its PDF now (the scheduler does it every few seconds)."""
    report = render_pending_documents(retry_failed=retry_failed)
    click.echo(f"{report.rendered} documents rendered; {len(report.failed_case_ids)} cases failed; "
               f"{report.remaining} documents waiting")
    if report.failed_case_ids:
        raise SystemExit(1)


@click.group("case-counts")
def case_counts_group():
    """The dashboard's counts kept per day and area (case_count): check them against the cases, or rebuild."""


@case_counts_group.command("check")
def check_case_counts_command():
    """Recount the cases and compare; name each row that differs; exit 1 if any does."""
    differences = case_count_differences()
    for (area, area_id, what, key, day), (kept, recounted) in sorted(differences.items()):
        click.echo(f"{area} {area_id} {day} {what} {key!r}: kept {kept}, recounted {recounted}")
    click.echo(f"{len(differences)} rows differ" if differences else "the counts agree with the cases")
    if differences:
        raise SystemExit(1)


@case_counts_group.command("rebuild")
def rebuild_case_counts_command():
    """Replace the counts by a recount of the cases (after a bulk import, or when a check finds them wrong)."""
    click.echo(f"{rebuild_case_counts()} rows counted afresh")
