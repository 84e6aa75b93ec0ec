"""`task-api seed`: a realistic demo data set, loaded into the configured store through the services.

Idempotent: users are matched by email, calls and tasks by (user, title), so a second run, even on another
day, adds nothing; a run cut short is completed by the next. Dates are placed around the current week, so
the board and the demo have something to show on the day of the talk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from shared.models import (
    CallCreate,
    CallReschedule,
    CallStatus,
    ScheduledCall,
    Task,
    TaskCreate,
    TaskStatus,
    User,
    UserCreate,
    UserType,
    as_utc,
)
from shared.services import Services

C, P, A = UserType.CLIENT, UserType.PROSPECT, UserType.PARTNER

# name, email, company, type: a few dozen people a small consultancy would deal with.
USERS: list[tuple[str, str, str, UserType]] = [
    ("Lucía Fernández", "lucia.fernandez@nubeverde.example", "NubeVerde", C),
    ("Jorge Martín", "jorge.martin@datalia.example", "Datalia", C),
    ("Ana Ruiz", "ana.ruiz@logisur.example", "LogiSur", C),
    ("Pablo Sánchez", "pablo.sanchez@fintrek.example", "Fintrek", P),
    ("Carmen López", "carmen.lopez@aceitunas-del-sur.example", "Aceitunas del Sur", C),
    ("Javier Gómez", "javier.gomez@tramaweb.example", "TramaWeb", A),
    ("Elena Díaz", "elena.diaz@biomedix.example", "Biomedix", P),
    ("Sergio Moreno", "sergio.moreno@rutasmart.example", "RutaSmart", C),
    ("Marta Álvarez", "marta.alvarez@edutic.example", "EduTIC", C),
    ("David Romero", "david.romero@hostelia.example", "Hostelia", P),
    ("Laura Navarro", "laura.navarro@solaria-pv.example", "Solaria PV", C),
    ("Raúl Torres", "raul.torres@cloudlab.example", "CloudLab", A),
    ("Sofía Domínguez", "sofia.dominguez@mercatto.example", "Mercatto", P),
    ("Álvaro Vázquez", "alvaro.vazquez@segurex.example", "Segurex", C),
    ("Paula Ramos", "paula.ramos@vinos-ribera.example", "Vinos Ribera", C),
    ("Hugo Gil", "hugo.gil@pixelfarm.example", "PixelFarm", A),
    ("Irene Serrano", "irene.serrano@clinicanorte.example", "Clínica Norte", P),
    ("Daniel Molina", "daniel.molina@transbal.example", "TransBal", C),
    ("Nerea Castro", "nerea.castro@kutxa-data.example", "Kutxa Data", P),
    ("Iker Etxeberria", "iker.etxeberria@gaztelan.example", "Gaztelan", C),
    ("Giulia Romano", "giulia.romano@pastalab.example", "PastaLab", P),
    ("Jonas Becker", "jonas.becker@nordwerk.example", "Nordwerk", C),
    ("Amélie Laurent", "amelie.laurent@atelier-lumiere.example", "Atelier Lumière", P),
    ("Tomás Oliveira", "tomas.oliveira@portodigital.example", "Porto Digital", A),
    ("Chloé Martin", "chloe.martin@vinobot.example", "VinoBot", C),
    ("Mateo Herrera", "mateo.herrera@andes-analytics.example", "Andes Analytics", P),
    ("Olivia Smith", "olivia.smith@brightpath.example", "BrightPath", C),
    ("Noah Williams", "noah.williams@kettle-cloud.example", "Kettle Cloud", A),
    ("Emma Jansen", "emma.jansen@tulipdata.example", "TulipData", P),
    ("Lars Nilsson", "lars.nilsson@fjordsoft.example", "FjordSoft", C),
]

# user index, title, day offset from this week's Monday, hour (UTC), minutes, final status
CALLS: list[tuple[int, str, int, int, int, CallStatus]] = [
    (0, "Quarterly review", -5, 10, 60, CallStatus.COMPLETED),
    (1, "Data pipeline walkthrough", -4, 16, 45, CallStatus.COMPLETED),
    (3, "Discovery call", -3, 11, 30, CallStatus.CANCELLED),
    (2, "Route optimisation kickoff", 0, 9, 60, CallStatus.COMPLETED),
    (4, "Harvest season planning", 0, 15, 30, CallStatus.SCHEDULED),
    (6, "Discovery call", 1, 10, 30, CallStatus.SCHEDULED),
    (7, "Fleet dashboard demo", 1, 12, 45, CallStatus.CANCELLED),
    (8, "Teacher training follow-up", 2, 9, 30, CallStatus.SCHEDULED),
    (9, "Pricing discussion", 2, 17, 30, CallStatus.RESCHEDULED),
    (10, "Monitoring go-live", 3, 10, 60, CallStatus.SCHEDULED),
    (12, "Discovery call", 3, 16, 30, CallStatus.SCHEDULED),
    (13, "Security audit results", 4, 11, 90, CallStatus.SCHEDULED),
    (5, "Partner sync", 4, 15, 30, CallStatus.SCHEDULED),
    (16, "Discovery call", 7, 10, 30, CallStatus.SCHEDULED),
    (17, "Contract renewal", 8, 12, 45, CallStatus.SCHEDULED),
    (21, "Integration planning", 9, 9, 60, CallStatus.SCHEDULED),
    (24, "Onboarding call - VinoBot", 10, 10, 45, CallStatus.SCHEDULED),
    (26, "Quarterly review", 11, 14, 60, CallStatus.SCHEDULED),
]

# user index (None: no user), title, due day offset from Monday (None: no due date), final status
TASKS: list[tuple[int | None, str, int | None, TaskStatus]] = [
    (0, "Send quarterly report to Lucía", -2, TaskStatus.DONE),
    (1, "Share pipeline diagrams", 1, TaskStatus.DONE),
    (2, "Collect depot addresses", 2, TaskStatus.IN_PROGRESS),
    (2, "Draft route optimisation proposal", 4, TaskStatus.TODO),
    (3, "Send case studies to Pablo", None, TaskStatus.CANCELLED),
    (4, "Prepare harvest planning template", 0, TaskStatus.IN_PROGRESS),
    (6, "Research Biomedix compliance needs", 1, TaskStatus.TODO),
    (8, "Book training room", 2, TaskStatus.DONE),
    (9, "Prepare pricing options", 2, TaskStatus.IN_PROGRESS),
    (10, "Go-live checklist", 3, TaskStatus.TODO),
    (11, "Review CloudLab partnership terms", 5, TaskStatus.TODO),
    (13, "Write up audit findings", 4, TaskStatus.IN_PROGRESS),
    (14, "Send tasting-room Wi-Fi quote", -1, TaskStatus.DONE),
    (15, "Co-marketing blog post", 8, TaskStatus.TODO),
    (17, "Renewal quote for TransBal", 7, TaskStatus.TODO),
    (19, "Translate onboarding guide to Basque", 10, TaskStatus.CANCELLED),
    (21, "Nordwerk API credentials", 8, TaskStatus.IN_PROGRESS),
    (22, "Send proposal to Atelier Lumière", 3, TaskStatus.TODO),
    (25, "Andes Analytics intro deck", 6, TaskStatus.DONE),
    (27, "Kettle Cloud reseller agreement", 9, TaskStatus.TODO),
    (None, "Book the PyCon demo room", 1, TaskStatus.DONE),
    (None, "Rehearse the live demo", 2, TaskStatus.IN_PROGRESS),
    (None, "Print the booth flyers", 3, TaskStatus.TODO),
    (None, "Order team T-shirts", -3, TaskStatus.CANCELLED),
]


@dataclass
class Tally:
    """How many of each kind the data set has, and how many this run added."""

    present: dict[str, int] = field(default_factory=lambda: {"users": 0, "calls": 0, "tasks": 0})
    added: dict[str, int] = field(default_factory=lambda: {"users": 0, "calls": 0, "tasks": 0})

    def count(self, kind: str, *, new: bool) -> None:
        self.present[kind] += 1
        if new:
            self.added[kind] += 1

    def summary(self) -> str:
        parts = [f"{self.present[k]} {k} ({self.added[k]} new)" for k in ("users", "calls", "tasks")]
        return ", ".join(parts)


def _week_start(now: datetime) -> datetime:
    monday = now.date() - timedelta(days=now.weekday())
    return as_utc(datetime.combine(monday, time.min))


def _on(monday: datetime, days: int, hour: int) -> datetime:
    return monday + timedelta(days=days, hours=hour)


def seed(services: Services, now: datetime) -> Tally:
    tally = Tally()
    monday = _week_start(as_utc(now))

    existing_users = {u.email.casefold(): u for u in services.list_users().items}
    users: list[User] = []
    for name, email, company, user_type in USERS:
        user = existing_users.get(email.casefold())
        if user is None:
            user = services.create_user(UserCreate(name=name, email=email, company=company, user_type=user_type))
        tally.count("users", new=user.email.casefold() not in existing_users)
        users.append(user)

    existing_calls: dict[tuple[str, str], ScheduledCall] = {
        (c.user_id, c.title): c for c in services.list_calls().items
    }
    for index, title, day, hour, minutes, status in CALLS:
        user = users[index]
        new = (user.id, title) not in existing_calls
        if new:
            when = _on(monday, day, hour)
            # A rescheduled call is booked a day earlier, then moved: as it would have happened.
            booked_for = when - timedelta(days=1) if status is CallStatus.RESCHEDULED else when
            call = services.schedule_call(
                CallCreate(user_id=user.id, title=title, scheduled_for=booked_for, duration_minutes=minutes)
            )
            if status is CallStatus.RESCHEDULED:
                services.reschedule_call(call.id, CallReschedule(scheduled_for=when))
            elif status is not CallStatus.SCHEDULED:
                services.update_call_status(call.id, status)
        tally.count("calls", new=new)

    existing_tasks: dict[tuple[str | None, str], Task] = {(t.user_id, t.title): t for t in services.list_tasks().items}
    for user_index, title, due_day, task_status in TASKS:
        user_id = None if user_index is None else users[user_index].id
        new = (user_id, title) not in existing_tasks
        if new:
            due = None if due_day is None else _on(monday, due_day, 17)
            task = services.create_task(TaskCreate(title=title, user_id=user_id, due_date=due))
            if task_status is not TaskStatus.TODO:
                services.update_task_status(task.id, task_status)
        tally.count("tasks", new=new)
    return tally
