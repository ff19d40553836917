"""Writes to the butterfly-credits ledger: awards, reversals, redemptions, adjustments.

Callers (stories, comments, petitions) award credits inside the transaction of the
action they pay for; this module imports none of them. Every write locks the member's
row, appends one immutable entry and moves the member's cached balance and lifetime
total with F() in the same transaction, so the cache always equals the ledger.

Reversing a story rejected as spam: for each vet of the story call
``credit_reverse(key=f"vet:{member_id}:{story_id}")`` (stories.services does), or
``credits_reverse_for_target(target=vet)`` for each vet.
"""

import datetime
import functools
import uuid
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from care2 import rows
from care2.pagecache import pages_changed
from care2.users.facts import facts_changed
from care2.users.models import User
from care2.users.services import audit_record
from credits.models import DEFAULT_RULES, Action, Cause, CreditEntry, CreditRule

__all__ = [
    "Action",
    "CreditError",
    "cause_edit",
    "cause_redeem",
    "credit_adjust",
    "credit_amounts",
    "credit_award",
    "credit_reverse",
    "credit_rule_get",
    "credit_rule_update",
    "credits_reconcile",
    "credits_reverse_for_target",
]


class CreditError(Exception):
    """A rule refused the action; the message is shown to the member."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- Rules ----------------------------------------------------------------------------


def credit_rule_get(*, action: str) -> CreditRule:
    """The rule for ``action``, created from the built-in defaults if its row is missing."""
    action = str(action)
    if action not in DEFAULT_RULES:
        raise ValueError(f"Unknown credit action: {action!r}")
    amount, cap = DEFAULT_RULES[action]
    rule, _ = CreditRule.objects.get_or_create(
        action=action, defaults={"amount": amount, "daily_cap": cap}
    )
    return rule


def credit_rule_update(*, rule: CreditRule, by: User | None, admin_log=True) -> list[str]:
    """A moderator sets what an action pays (the admin's rule forms, the list's inline
    edits too): ``rule`` carries the new amount and cap. The row is locked and read
    again, so the audit entry names the values it really had before; nothing is
    written when neither changed. Returns the changes ("amount 3 → 5")."""
    with transaction.atomic():
        adding = rule._state.adding
        before = None if adding else CreditRule.objects.select_for_update().get(pk=rule.pk)
        changes = [
            f"{name.replace('_', ' ')} {getattr(before, name) if before else '—'} → "
            f"{getattr(rule, name)}"
            for name in ("amount", "daily_cap")
            if before is None or getattr(before, name) != getattr(rule, name)
        ]
        if not changes:
            return changes
        if adding:
            rule.save()
        else:
            rule.save(update_fields=["amount", "daily_cap", "updated_at"])
        pages_changed()  # the credits box on cached story pages shows the amounts
        audit_record(
            actor=by,
            action="add credit rule" if adding else "change credit rule",
            target=rule,
            reason="; ".join(changes),
            admin_log=admin_log,
        )
    return changes


def credit_amounts() -> dict[str, int]:
    """The amount currently paid per action value, as shown in the credits box.

    One query; actions with no rule row show their built-in default (a read never writes).
    """
    amounts = {str(action): amount for action, (amount, _cap) in DEFAULT_RULES.items()}
    amounts.update(dict(CreditRule.objects.values_list("action", "amount")))
    return amounts


def credit_rules() -> list[CreditRule]:
    """Every rule, in Action order, unsaved defaults standing in for missing rows."""
    rows = {rule.action: rule for rule in CreditRule.objects.all()}
    rules = []
    for action in Action:
        amount, cap = DEFAULT_RULES[action]
        rules.append(
            rows.get(action.value) or CreditRule(action=action.value, amount=amount, daily_cap=cap)
        )
    return rules


def day_start(at: datetime.datetime) -> datetime.datetime:
    """Midnight of the day of ``at`` in the site's time zone: caps count per such day."""
    tz = timezone.get_default_timezone()
    local = at.astimezone(tz)
    return datetime.datetime.combine(local.date(), datetime.time.min, tzinfo=tz)


# --- Writes ---------------------------------------------------------------------------


def _lock_member(member_id: int) -> None:
    """Serialize this member's ledger writes until the transaction ends."""
    list(User.objects.select_for_update().filter(pk=member_id).values_list("pk", flat=True))


def _move_member(member_id: int | None, *, amount: int, earned: int) -> None:
    """The one place a member's cached ``credits_balance`` and ``credits_earned`` change
    with the ledger: F() in the transaction that appends the entry."""
    if member_id is None:
        return
    User.objects.filter(pk=member_id).update(
        credits_balance=F("credits_balance") + amount, credits_earned=F("credits_earned") + earned
    )
    facts_changed(member_id)  # the cached row shows the balance in the header


def _insert(entry: CreditEntry) -> CreditEntry | None:
    """Append ``entry``; None if its key is already in the ledger (a repeat)."""
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        if CreditEntry.objects.filter(key=entry.key).exists():
            return None
        raise
    return entry


def _target_fields(target) -> dict:
    if target is None:
        return {"content_type": None, "object_id": None}
    return {
        "content_type": ContentType.objects.get_for_model(target, for_concrete_model=False),
        "object_id": target.pk,
    }


def _award(*, member, action: str, target, key: str, at: datetime.datetime) -> CreditEntry | None:
    action = str(action)
    if action not in DEFAULT_RULES:
        raise ValueError(f"Unknown credit action: {action!r}")
    if connection.vendor == "postgresql":
        return _award_postgresql(member=member, action=action, target=target, key=key, at=at)
    if CreditEntry.objects.filter(key=key).exists():
        return None  # already paid: retrying or double-submitting changes nothing
    rule = credit_rule_get(action=action)
    if rule.amount <= 0:
        return None
    with transaction.atomic():
        _lock_member(member.pk)
        if rule.daily_cap is not None:
            start = day_start(at)
            paid_today = CreditEntry.objects.filter(
                member_id=member.pk,
                kind=CreditEntry.Kind.AWARD,
                action=action,
                created_at__gte=start,
                created_at__lt=start + datetime.timedelta(days=1),
            ).count()
            if paid_today >= rule.daily_cap:
                return None  # past the cap the action happens as usual and pays nothing
        entry = _insert(
            CreditEntry(
                member_id=member.pk,
                kind=CreditEntry.Kind.AWARD,
                action=action,
                amount=rule.amount,
                earned=rule.amount,
                key=key,
                created_at=at,
                **_target_fields(target),
            )
        )
        if entry is not None:
            _move_member(member.pk, amount=entry.amount, earned=entry.earned)
    return entry


def _award_postgresql(*, member, action, target, key, at) -> CreditEntry | None:
    """The award in at most three statements, with no savepoint: one past the cap (or
    when the rule pays nothing), two for a repeated key, three when it pays.

    1. The member's row is locked, only if the rule pays and the member was under its
       daily cap as this statement saw the ledger. Past the cap, nothing is locked and
       nothing more is asked: a day's awards only ever grow in number (entries are
       never deleted), so a count at the cap in any snapshot is at the cap now.
    2. Under that lock, in a snapshot taken after it (so every award committed by an
       earlier holder is seen), the entry is inserted if the member is still under the
       cap and its key is new (``ON CONFLICT DO NOTHING``: a repeat, or one racing in
       with the same key, pays nothing). The rule is read in both statements, its
       built-in default standing in for a missing row.
    3. The balance and lifetime total move with F() (``_move_member``).
    """
    start = day_start(at)
    rule_params, paid_params = _rule_params(action), [member.pk, action, start, start + DAY]
    with transaction.atomic(savepoint=False):
        with rows.cursor() as cursor:
            cursor.execute(_award_lock_sql(), [*rule_params, member.pk, *paid_params])
            locked = cursor.fetchone()
        if locked is None:
            return None  # pays nothing, past the cap, or no such member
        entry = CreditEntry(
            member_id=member.pk,
            kind=CreditEntry.Kind.AWARD,
            action=action,
            key=key,
            created_at=at,
            **_target_fields(target),
        )
        sql, columns = _award_insert_sql()
        values = [f.get_db_prep_save(getattr(entry, f.attname), connection) for f in columns]
        with rows.cursor() as cursor:
            cursor.execute(sql, [*values, *rule_params, *paid_params])
            row = cursor.fetchone()
        if row is None:
            return None  # a repeat of the key, or the cap reached meanwhile
        entry.pk, entry.amount, entry.earned = row
        entry._state.adding, entry._state.db = False, connection.alias
        _move_member(member.pk, amount=entry.amount, earned=entry.earned)
        if not locked[0]:
            credit_rule_get(action=action)  # the rule's row, from the defaults it paid
    return entry


DAY = datetime.timedelta(days=1)
NO_CAP = -1  # a rule's cap as the award's statements read it: NULL (no cap) becomes this


def _rule_params(action: str) -> list:
    amount, cap = DEFAULT_RULES[action]
    return [amount, NO_CAP if cap is None else cap, action]


@functools.cache
def _award_sql_parts() -> tuple[str, str]:
    """The rule as one row (its defaults when its row is missing; params: the default
    amount and cap, the action) and the condition that it pays today (params: member,
    action, the day's start and end)."""
    quote = connection.ops.quote_name
    rules, entries = quote(CreditRule._meta.db_table), quote(CreditEntry._meta.db_table)
    rule = (
        f"(SELECT coalesce(max(r.amount), %s) AS amount, "
        f"coalesce(max(coalesce(r.daily_cap, {NO_CAP})), %s) AS cap, count(r.id) AS found "
        f"FROM {rules} r WHERE r.action = %s) rule"
    )
    # kind written out, so the planner matches the cap's partial index.
    paid_today = (
        f"(SELECT count(*) FROM {entries} e WHERE e.member_id = %s "
        f"AND e.kind = '{CreditEntry.Kind.AWARD.value}' AND e.action = %s "
        "AND e.created_at >= %s AND e.created_at < %s)"
    )
    pays = f"rule.amount > 0 AND (rule.cap = {NO_CAP} OR {paid_today} < rule.cap)"
    return rule, pays


@functools.cache
def _award_lock_sql() -> str:
    """Lock the member's row if the rule pays and they are under its cap; returns
    whether the rule has a row (params: the rule's, the member, the pays condition's)."""
    rule, pays = _award_sql_parts()
    users = connection.ops.quote_name(User._meta.db_table)
    return (
        f"SELECT rule.found > 0 FROM {users} u, {rule} WHERE u.id = %s AND {pays} FOR UPDATE OF u"
    )


@functools.cache
def _award_insert_sql() -> tuple[str, list]:
    """The award's INSERT (its columns' values, then the rule's params and the pays
    condition's), with the amount from the rule; returns the id, amount and earned."""
    rule, pays = _award_sql_parts()
    quote = connection.ops.quote_name
    columns = [
        f for f in CreditEntry._meta.concrete_fields if f.attname not in ("id", "amount", "earned")
    ]
    names = ", ".join(
        quote(f.column)
        for f in [*columns, *(CreditEntry._meta.get_field(n) for n in ("amount", "earned"))]
    )
    casts = rows.cast_placeholders(connection.alias, tuple(columns))
    sql = (
        f"INSERT INTO {quote(CreditEntry._meta.db_table)} ({names}) "
        f"SELECT {casts}, rule.amount, rule.amount FROM {rule} WHERE {pays} "
        f"ON CONFLICT ({quote('key')}) DO NOTHING "
        f"RETURNING {quote('id')}, {quote('amount')}, {quote('earned')}"
    )
    return sql, columns


def credit_award(
    *, member, action: str, target, key: str, at: datetime.datetime | None = None
) -> CreditEntry | None:
    """Pay ``member`` for ``action`` on ``target`` once per ``key``, at the rule's current
    amount. Returns the entry, or None when nothing was paid (a repeat of ``key``, or
    the member is past the rule's daily cap).

    Call it inside the transaction of the action it pays for: if that rolls back, so
    does the award. Two requests racing with one key pay once (a unique key in the
    database); racing at the cap pay at most the cap (the member's row is locked).
    ``at`` dates an award for an action done earlier (the demo's past activity).
    """
    return _award(member=member, action=action, target=target, key=key, at=at or timezone.now())


def credit_reverse(*, key: str, reason: str = "") -> CreditEntry | None:
    """Reverse the award made under ``key``, once. Returns the reversal entry, or None if
    there was no such award or it was already reversed.

    The lifetime total loses the whole award; the balance loses as much of it as the
    member still has (credits already spent on a cause stay spent: a balance never goes
    below zero).
    """
    award = CreditEntry.objects.filter(key=key, kind=CreditEntry.Kind.AWARD).first()
    if award is None:
        return None
    return _reverse(award=award, reason=reason)


def _reverse(*, award: CreditEntry, reason: str) -> CreditEntry | None:
    reversal_key = f"reverse:{award.key}"
    if CreditEntry.objects.filter(key=reversal_key).exists():
        return None
    with transaction.atomic():
        balance = 0
        if award.member_id is not None:
            _lock_member(award.member_id)
            balance = (
                User.objects.filter(pk=award.member_id)
                .values_list("credits_balance", flat=True)
                .first()
                or 0
            )
        entry = _insert(
            CreditEntry(
                member_id=award.member_id,
                kind=CreditEntry.Kind.REVERSAL,
                action=award.action,
                amount=-min(award.amount, max(balance, 0)),
                earned=-award.earned,
                key=reversal_key,
                reverses=award,
                note=reason[:300],
                content_type_id=award.content_type_id,
                object_id=award.object_id,
            )
        )
        if entry is not None:
            _move_member(award.member_id, amount=entry.amount, earned=entry.earned)
    return entry


def credits_reverse_for_target(*, target, reason: str = "") -> list[CreditEntry]:
    """Reverse every award paid for ``target`` (a comment removed as spam, a vet of a
    story rejected as spam), once each. Returns the reversals made now."""
    awards = CreditEntry.objects.awards().filter(**_target_fields(target))
    with transaction.atomic():
        reversals = [_reverse(award=award, reason=reason) for award in awards]
    return [r for r in reversals if r is not None]


def credit_adjust(
    *, member, amount: int, note: str, moderator=None, key: str = "", admin_log=True
) -> CreditEntry:
    """A moderator adds (or takes away) credits: both balance and lifetime total move.
    Refused if it would take the balance below zero. With a ``moderator`` the audit
    entry is written in the same transaction as the ledger entry (``admin_log=False``
    when the admin's add form logs the save itself)."""
    if amount == 0:
        raise CreditError("An adjustment needs an amount other than zero.")
    if not note.strip():
        raise CreditError("Say why you adjust this member's credits.")
    with transaction.atomic():
        _lock_member(member.pk)
        balance = User.objects.values_list("credits_balance", flat=True).get(pk=member.pk)
        if balance + amount < 0:
            raise CreditError(f"This member has only {balance} credits to take away.")
        entry = _insert(
            CreditEntry(
                member_id=member.pk,
                kind=CreditEntry.Kind.ADJUSTMENT,
                amount=amount,
                earned=amount,
                key=key or f"adjust:{uuid.uuid4()}",
                note=note.strip()[:300],
                created_by=moderator,
            )
        )
        if entry is None:
            raise CreditError("This adjustment was already made.")
        _move_member(member.pk, amount=amount, earned=amount)
        pages_changed()  # the member's number after their name, on cached pages
        if moderator is not None:
            audit_record(
                actor=moderator,
                action="adjust credits",
                target=entry,
                reason=f"{entry.amount:+d} for member {entry.member_id}: {entry.note}",
                admin_log=admin_log,
            )
    return entry


def cause_edit(*, cause: Cause, by: User | None, fields, admin_log=True) -> Cause:
    """A moderator adds or edits a cause (the admin's forms): ``cause`` carries the new
    values, ``fields`` names those that changed. Only those columns are written, so a
    redemption counted meanwhile is never undone; the cause's row is locked and the
    stock checked against what was really redeemed (``CreditError`` when lower). One
    transaction with the audit entry; cached pages follow."""
    columns = {f.name for f in Cause._meta.concrete_fields} - {"redeemed_count"}
    fields = sorted(name for name in fields if name in columns)
    adding = cause._state.adding
    with transaction.atomic():
        if not adding:
            redeemed = (
                Cause.objects.select_for_update()
                .values_list("redeemed_count", flat=True)
                .get(pk=cause.pk)
            )
            cause.redeemed_count = redeemed
            if "stock" in fields and cause.stock is not None and cause.stock < redeemed:
                raise CreditError(
                    f"Already redeemed {redeemed} times: the stock cannot be lower than that."
                )
            if not fields:
                return cause
            cause.save(update_fields=fields)
        else:
            cause.save()
        pages_changed()  # the causes' list and page, cached for readers
        audit_record(
            actor=by,
            action="add cause" if adding else "edit cause",
            target=cause,
            reason="changed " + ", ".join(fields) if fields else "",
            admin_log=admin_log,
        )
    return cause


def cause_redeem(*, member, cause: Cause, token: str) -> CreditEntry:
    """Spend ``cause.cost`` credits on ``cause``. ``token`` (one per redeem form shown)
    makes a double submission redeem once: the repeat returns the first entry.

    The balance never goes below zero and the stock never runs over, also when two
    redemptions race: the member's row is locked, the stock is taken with a conditional
    UPDATE, and CheckConstraints stand behind both.
    """
    key = f"redeem:{member.pk}:{token}"
    existing = CreditEntry.objects.filter(key=key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            _lock_member(member.pk)
            existing = CreditEntry.objects.filter(key=key).first()
            if existing is not None:
                return existing
            cause = Cause.objects.get(pk=cause.pk)
            if not cause.is_active:
                raise CreditError("This cause is not taking credits at the moment.")
            balance = User.objects.values_list("credits_balance", flat=True).get(pk=member.pk)
            if balance < cause.cost:
                raise CreditError(f"You have {balance} credits; {cause.title} needs {cause.cost}.")
            taken = (
                Cause.objects.filter(pk=cause.pk, is_active=True)
                .filter(Q(stock__isnull=True) | Q(redeemed_count__lt=F("stock")))
                .update(redeemed_count=F("redeemed_count") + 1)
            )
            if not taken:
                raise CreditError(f"{cause.title} has been fully redeemed. Thank you!")
            entry = CreditEntry(
                member_id=member.pk,
                kind=CreditEntry.Kind.REDEMPTION,
                amount=-cause.cost,
                earned=0,
                key=key,
                note=cause.title[:300],
                **_target_fields(cause),
            )
            entry.save()
            _move_member(member.pk, amount=-cause.cost, earned=0)
    except IntegrityError:
        # The constraints behind the checks above: a balance below zero, a stock overrun.
        raise CreditError(
            "Your credits could not be redeemed for this cause. Please try again."
        ) from None
    return entry


# --- Reconciliation -------------------------------------------------------------------


@dataclass
class Drift:
    member_id: int
    public_name: str
    balance: int
    ledger_balance: int
    earned: int
    ledger_earned: int

    def __str__(self):
        return (
            f"member {self.member_id} ({self.public_name}): balance {self.balance}, "
            f"ledger {self.ledger_balance}; earned {self.earned}, ledger {self.ledger_earned}"
        )


@dataclass
class ReconcileReport:
    checked: int = 0
    drifts: list[Drift] = field(default_factory=list)
    fixed: int = 0


def _ledger_sums(member_ids) -> dict[int, tuple[int, int]]:
    rows = (
        CreditEntry.objects.filter(member_id__in=member_ids)
        .order_by()
        .values("member_id")
        .annotate(balance=Coalesce(Sum("amount"), 0), earned=Coalesce(Sum("earned"), 0))
    )
    return {row["member_id"]: (row["balance"], row["earned"]) for row in rows}


def credits_reconcile(
    *, fix: bool = False, batch_size: int = 1000, progress=None
) -> ReconcileReport:
    """Check every member's balance and lifetime total against the sum of their entries.

    With ``fix``, a drifted member's row is set to the ledger's sums (recomputed under a
    lock on the row, so an award landing meanwhile is counted). ``progress(done, total)``
    is called as members are checked.
    """
    report = ReconcileReport()
    total = User.objects.count()
    last_pk = 0
    while True:
        members = list(
            User.objects.filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", "first_name", "last_name", "credits_balance", "credits_earned")[
                :batch_size
            ]
        )
        if not members:
            break
        last_pk = members[-1][0]
        sums = _ledger_sums([m[0] for m in members])
        for pk, first, last, balance, earned in members:
            ledger_balance, ledger_earned = sums.get(pk, (0, 0))
            report.checked += 1
            if (balance, earned) != (ledger_balance, ledger_earned):
                name = User(first_name=first, last_name=last).public_name
                report.drifts.append(
                    Drift(pk, name, balance, ledger_balance, earned, ledger_earned)
                )
                if fix:
                    report.fixed += _fix_member(pk)
            if progress is not None:
                progress(report.checked, max(total, report.checked))
    return report


def _fix_member(member_id: int) -> int:
    with transaction.atomic():
        _lock_member(member_id)
        ledger_balance, ledger_earned = _ledger_sums([member_id]).get(member_id, (0, 0))
        facts_changed(member_id)
        return User.objects.filter(pk=member_id).update(
            credits_balance=ledger_balance, credits_earned=ledger_earned
        )
