"""Flask extensions, created unbound and initialised by the app factory."""
from typing import TYPE_CHECKING

import flask_sqlalchemy.model
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
# No default limits: the public intake routes name theirs (app/public/routes.py).
limiter = Limiter(key_func=get_remote_address)

if TYPE_CHECKING:
    # The models' base class. mypy takes no attribute (`db.Model`) as a base class (python/mypy#8603), so it
    # checks the models against a class of the same shape: SQLAlchemy 2.0's typed declarative base (`Mapped[...]`
    # columns, keyword constructor) with Flask-SQLAlchemy's additions.
    class Model(DeclarativeBase, flask_sqlalchemy.model.Model):
        pass
else:
    Model = db.Model
