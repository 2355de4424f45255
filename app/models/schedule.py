"""Official working-day schedules an admin entered (the State Council publishes each November)."""
from datetime import date, datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.types import UtcDateTime


class ScheduleYear(Model):
    """A year whose schedule was entered; its days below override the `chinese-calendar` package."""

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    entered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    days: Mapped[list["ScheduledDay"]] = relationship(
        back_populates="schedule_year", cascade="all, delete-orphan", order_by="ScheduledDay.day"
    )


class ScheduledDay(Model):
    """A day off on a weekday (holiday) or a working weekend day (调休上班)."""

    day: Mapped[date] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("schedule_year.year", ondelete="CASCADE"), index=True)
    is_working: Mapped[bool]

    schedule_year: Mapped[ScheduleYear] = relationship(back_populates="days")
