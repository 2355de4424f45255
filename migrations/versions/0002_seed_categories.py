"""seed dispute categories from the national statistics form

Revision ID: 0002_seed_categories
Revises: 3d6991dfce6c
Create Date: 2026-11-24

"""
from alembic import op
import sqlalchemy as sa

revision = "0002_seed_categories"
down_revision = "3d6991dfce6c"
branch_labels = None
depends_on = None

CATEGORIES = [
    ("family", "婚姻家庭"), ("neighbour", "邻里"), ("homestead", "房屋宅基地"), ("contract", "合同"),
    ("business", "生产经营"), ("damages", "损害赔偿"), ("forest_land", "山林土地"),
    ("requisition", "征地拆迁"), ("pollution", "环境污染"), ("labour", "劳动争议"), ("consumer", "消费"),
    ("medical", "医疗"), ("traffic", "道路交通事故"), ("property", "物业"), ("other", "其他"),
]
SUBCATEGORIES = [
    ("family", "family_inheritance", "继承"),
    ("forest_land", "land_contracting", "土地承包"),
    ("other", "village_affairs", "村务管理"),
]

category = sa.table(
    "category",
    sa.column("code", sa.String), sa.column("name", sa.String),
    sa.column("parent_id", sa.Integer), sa.column("position", sa.Integer),
)


def upgrade():
    op.bulk_insert(category, [
        {"code": code, "name": name, "parent_id": None, "position": position}
        for position, (code, name) in enumerate(CATEGORIES)
    ])
    for position, (parent, code, name) in enumerate(SUBCATEGORIES):
        op.execute(
            sa.text(
                "INSERT INTO category (code, name, parent_id, position) "
                "SELECT :code, :name, id, :position FROM category WHERE code = :parent"
            ).bindparams(code=code, name=name, position=position, parent=parent)
        )


def downgrade():
    codes = [code for _, code, _ in SUBCATEGORIES] + [code for code, _ in CATEGORIES]
    op.execute(category.delete().where(category.c.code.in_(codes)))
