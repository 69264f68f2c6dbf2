"""Random sequences of ledger operations against a plain-Python model of the same rules.

After every step: the books balance, every account's running sums equal the sums recomputed from
its transfers and equal the model, no account is over its limit, and a replay changed nothing.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.db import transaction
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from millet.core.errors import Conflict, Unprocessable
from millet.finance.models import LedgerAccount, LedgerTransfer
from millet.finance.services import (
    PostPending,
    TransferSpec,
    VoidPending,
    create_transfers,
    ensure_account,
    total_balance_check,
)

FIELDS = ("debits_pending", "debits_posted", "credits_pending", "credits_posted")
Kind = LedgerTransfer.Kind


def within_limits(sums: dict[str, int], limit: str | None) -> bool:
    if limit == "debit":
        return sums["debits_pending"] + sums["debits_posted"] <= sums["credits_posted"]
    if limit == "credit":
        return sums["credits_pending"] + sums["credits_posted"] <= sums["debits_posted"]
    return True


def recomputed_from_transfers() -> dict[int, dict[str, int]]:
    sums: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
    resolved = set(LedgerTransfer.objects.filter(pending__isnull=False).values_list("pending_id", flat=True))
    for t in LedgerTransfer.objects.all():
        if t.kind in (Kind.SINGLE, Kind.POST_PENDING):
            sums[t.debit_account_id]["debits_posted"] += t.amount
            sums[t.credit_account_id]["credits_posted"] += t.amount
        elif t.kind == Kind.PENDING and t.pk not in resolved:
            sums[t.debit_account_id]["debits_pending"] += t.amount
            sums[t.credit_account_id]["credits_pending"] += t.amount
    return sums


class LedgerMachine(RuleBasedStateMachine):
    accounts = Bundle("accounts")

    def __init__(self) -> None:
        super().__init__()
        # Each example runs in a savepoint rolled back at teardown, so examples start from empty books.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.model: dict[str, dict[str, int]] = {}
        self.limits: dict[str, str | None] = {}
        self.pending: dict[int, tuple[str, str, int]] = {}
        self.keyed: dict[str, tuple[object, int]] = {}
        self.counter = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _key(self) -> str:
        self.counter += 1
        return f"key-{self.counter}"

    def _state(self) -> tuple:
        return list(LedgerAccount.objects.order_by("id").values()), LedgerTransfer.objects.count()

    @initialize(target=accounts)
    def open_books(self):
        return multiple(*(self.add_account(limit) for limit in (None, "debit", "credit")))

    @rule(target=accounts, limit=st.sampled_from([None, None, "debit", "credit"]))
    def add_account(self, limit: str | None) -> str:
        code = f"acct:{len(self.model)}"
        ensure_account(
            code,
            "CNY",
            "asset",
            debits_must_not_exceed_credits=limit == "debit",
            credits_must_not_exceed_debits=limit == "credit",
        )
        self.model[code] = dict.fromkeys(FIELDS, 0)
        self.limits[code] = limit
        return code

    def _expect(self, changes: list[tuple[str, str, int]]) -> dict[str, dict[str, int]] | None:
        """The model after ``changes`` (account, field, delta), or None if a limit refuses them."""
        after = {code: dict(sums) for code, sums in self.model.items()}
        for code, field, delta in changes:
            after[code][field] += delta
        return after if all(within_limits(after[c], self.limits[c]) for c in after) else None

    def _run(self, entries: list, changes: list[tuple[str, str, int]]) -> list[LedgerTransfer] | None:
        expected = self._expect(changes)
        if expected is None:
            before = self._state()
            with pytest.raises(Conflict) as excinfo:
                create_transfers(entries)
            assert excinfo.value.code == "exceeds_balance_limit"
            assert self._state() == before
            return None
        transfers = create_transfers(entries)
        self.model = expected
        for entry, transfer in zip(entries, transfers, strict=True):
            if entry.idempotency_key:
                self.keyed[entry.idempotency_key] = (entry, transfer.pk)
        return transfers

    @rule(
        legs=st.lists(
            st.tuples(accounts, accounts, st.integers(1, 500), st.booleans(), st.booleans()),
            min_size=1,
            max_size=3,
        )
    )
    def transfer(self, legs) -> None:
        entries, changes = [], []
        for debit, credit, amount, pending, keyed in legs:
            entries.append(
                TransferSpec(
                    debit,
                    credit,
                    amount,
                    "CNY",
                    "test",
                    pending=pending,
                    idempotency_key=keyed and self._key() or None,
                )
            )
            side = "pending" if pending else "posted"
            changes += [(debit, f"debits_{side}", amount), (credit, f"credits_{side}", amount)]
        if any(e.debit == e.credit for e in entries):
            before = self._state()
            with pytest.raises(Unprocessable):
                create_transfers(entries)
            assert self._state() == before
            return
        transfers = self._run(entries, changes)
        for entry, transfer in zip(entries, transfers or [], strict=False):
            if entry.pending:
                self.pending[transfer.pk] = (entry.debit, entry.credit, entry.amount)

    @precondition(lambda self: self.pending)
    @rule(data=st.data(), post=st.booleans(), keyed=st.booleans())
    def resolve(self, data, post: bool, keyed: bool) -> None:
        pending_id = data.draw(st.sampled_from(sorted(self.pending)))
        debit, credit, amount = self.pending[pending_id]
        key = self._key() if keyed else None
        changes = [(debit, "debits_pending", -amount), (credit, "credits_pending", -amount)]
        if post:
            posted = data.draw(st.one_of(st.none(), st.integers(1, amount)))
            entry = PostPending(pending_id, posted, key)
            changes += [
                (debit, "debits_posted", posted or amount),
                (credit, "credits_posted", posted or amount),
            ]
        else:
            entry = VoidPending(pending_id, key)
        if self._run([entry], changes) is not None:
            del self.pending[pending_id]

    @precondition(lambda self: self.keyed)
    @rule(data=st.data())
    def replay(self, data) -> None:
        key = data.draw(st.sampled_from(sorted(self.keyed)))
        entry, transfer_id = self.keyed[key]
        before = self._state()
        assert create_transfers([entry])[0].pk == transfer_id
        assert self._state() == before

    @precondition(lambda self: any(isinstance(e, TransferSpec) for e, _ in self.keyed.values()))
    @rule(data=st.data())
    def reuse_key_for_another_transfer(self, data) -> None:
        keys = sorted(k for k, (e, _) in self.keyed.items() if isinstance(e, TransferSpec))
        entry, _ = self.keyed[data.draw(st.sampled_from(keys))]
        changed = TransferSpec(
            entry.debit, entry.credit, entry.amount + 1, "CNY", "test", idempotency_key=entry.idempotency_key
        )
        before = self._state()
        with pytest.raises(Conflict) as excinfo:
            create_transfers([changed])
        assert excinfo.value.code == "idempotency_key_reused"
        assert self._state() == before

    @invariant()
    def books_balance_and_match_their_transfers(self) -> None:
        assert total_balance_check() == 0
        recomputed = recomputed_from_transfers()
        for account in LedgerAccount.objects.all():
            stored = {field: getattr(account, field) for field in FIELDS}
            assert stored == self.model[account.code]
            assert stored == recomputed[account.pk]
            assert within_limits(stored, self.limits[account.code])


def test_ledger_state_machine(db):
    run_state_machine_as_test(
        LedgerMachine, settings=settings(max_examples=40, stateful_step_count=20, deadline=None)
    )
