"""A sector mediation body (行业性、专业性调解组织) of a town: the "N" of "3+N" joint mediation, and
where the joint-consultation panel may refer a case on. A configurable list per town."""
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.grid import Town

# Seeded for every town (docs: the sector bodies seen in county practice).
DEFAULT_SECTOR_BODIES = (
    "生态环境纠纷调解委员会", "住房和城乡建设纠纷调解委员会", "道路交通事故纠纷调解委员会", "妇联婚姻家庭纠纷调解委员会",
    "教育纠纷调解委员会", "劳动人事争议调解仲裁委员会", "质量技术监督纠纷调解委员会", "自然资源纠纷调解委员会",
    "卫生健康（医疗）纠纷调解委员会",
)


class SectorBody(Model):
    __table_args__ = (UniqueConstraint("town_id", "name", name="uq_sector_body_town_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("town.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # A body no longer used is deactivated, never deleted: past steps still name it.
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)

    town: Mapped[Town] = relationship()
