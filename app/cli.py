"""Command-line entry points: `flask --app wsgi <command>`."""
import click
from flask import Flask, current_app
from flask_migrate import upgrade

from app import demo
from app.services.errors import JiefenError
from app.services.processes import deploy_processes
from app.services.users import create_user


def init_app(app: Flask) -> None:
    for command in (init_db_command, deploy_processes_command, seed_demo_command, create_user_command):
        app.cli.add_command(command)


@click.command("init-db")
def init_db_command():
    """Create or upgrade the database schema to the newest migration."""
    upgrade(directory=str(current_app.config["MIGRATIONS_DIR"]), revision="heads")
    click.echo("数据库已是最新结构。")


@click.command("deploy-processes")
def deploy_processes_command():
    """Deploy processes/*.bpmn; a changed file becomes a new version."""
    try:
        deployments = deploy_processes(current_app.config["PROCESSES_DIR"])
    except JiefenError as error:
        raise click.ClickException(error.message) from None
    for deployment in deployments:
        state = "deployed" if deployment.created else "unchanged"
        click.echo(f"{deployment.key} v{deployment.version} {state}")


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


@click.command("create-user")
@click.option("--username", required=True)
@click.option("--role", required=True)
@click.option("--password", required=True)
@click.option("--grid", "grids", multiple=True, help="grid code the user serves (repeatable)")
@click.option("--name", "display_name", default="", help="display name (defaults to the username)")
def create_user_command(username, role, password, grids, display_name):
    """Create a user with a role, serving the given grids."""
    try:
        user = create_user(username, display_name, role, password, list(grids))
    except JiefenError as error:
        details = "; ".join(message for messages in getattr(error, "field_errors", {}).values() for message in messages)
        raise click.ClickException(f"{error.message} {details}".strip()) from None
    click.echo(f"created {user.username} ({user.role})")
