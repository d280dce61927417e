"""Queries, one module per table. Repositories never commit: the caller's unit of work does."""

from db.repositories.assessments import AssessmentsRepo
from db.repositories.audit import AuditRepo
from db.repositories.broadcasts import BroadcastsRepo
from db.repositories.drafts import DraftsRepo
from db.repositories.family import FamilyMessagesRepo, RequestsRepo
from db.repositories.followups import FollowUpsRepo
from db.repositories.forget import ForgetRepo
from db.repositories.fsm import FsmRepo
from db.repositories.inbox import InboxRepo
from db.repositories.invites import InvitesRepo
from db.repositories.ops import OpsRepo
from db.repositories.people import PeopleRepo
from db.repositories.points import LoansRepo, StockRepo
from db.repositories.queues import QueueLinksRepo, QueueStaffRepo
from db.repositories.sent import SentMessagesRepo
from db.repositories.stats import StatsRepo
from db.repositories.work import WorkRepo

__all__ = [
    "AssessmentsRepo",
    "AuditRepo",
    "BroadcastsRepo",
    "DraftsRepo",
    "FamilyMessagesRepo",
    "FollowUpsRepo",
    "ForgetRepo",
    "FsmRepo",
    "InboxRepo",
    "InvitesRepo",
    "LoansRepo",
    "OpsRepo",
    "PeopleRepo",
    "QueueLinksRepo",
    "QueueStaffRepo",
    "RequestsRepo",
    "SentMessagesRepo",
    "StatsRepo",
    "StockRepo",
    "WorkRepo",
]
