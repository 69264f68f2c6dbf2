"""Random lives of loans: applications, disbursements, repayments (some declined, some replayed),
days passing (late fees, buckets, charge-offs), returns refunded to the lender, cancelled orders,
and device-protection policies on financed phones with claims paid out.

After every step: the ledger sums to zero; every loan's outstanding principal equals its schedule
minus its repayments, equals its ledger account, and equals a plain-Python model of the same loan;
fees owed equal the fee account; and no ledger account is past its balance limit.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from millet.accounts.actor import SYSTEM, actor_for_user
from millet.core.errors import Conflict, DomainError, NotFound, Unprocessable
from millet.finance.models import LedgerAccount, LedgerTransfer
from millet.finance.services import balances, total_balance_check
from millet.insurance import services as insurance
from millet.lending import services as lending
from millet.lending.models import Loan
from millet.lending.services import clock
from millet.sales.models import Order
from millet.sales.services import ReturnRequest, cancel_order, fulfil_order, get_order, return_order
from tests.finance.lending.conftest import BAD_FORM, BORDERLINE_FORM, DAY0, GOOD_FORM, apply, placed_order

pytestmark = pytest.mark.django_db
FORMS = {"good": GOOD_FORM, "bad": BAD_FORM, "borderline": BORDERLINE_FORM}
PLAN = "CARE-MI6-12"


class LendingMachine(RuleBasedStateMachine):
    loans = Bundle("loans")
    world = None  # set by the test: the company, its approved model and product
    current = None  # the running machine, whose day is the lender's business day

    def __init__(self) -> None:
        super().__init__()
        LendingMachine.current = self
        # Each example runs in a savepoint rolled back at teardown, so examples start from empty books.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.today = DAY0
        self.counter = 0
        self.owed: dict[str, int] = {}  # the model: principal each loan still owes
        self.repaid: dict[str, int] = {}  # the model: what each customer paid on each loan

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _key(self) -> str:
        self.counter += 1
        return f"k{self.counter}"

    def _money_state(self) -> tuple:
        return list(LedgerAccount.objects.order_by("id").values()), LedgerTransfer.objects.count()

    @rule(
        target=loans,
        user=st.sampled_from(["alice", "bob"]),
        form=st.sampled_from(["good", "good", "good", "bad", "borderline"]),
        term=st.sampled_from([3, 6, 12]),
        method=st.sampled_from(["annuity", "equal_principal"]),
        quantity=st.integers(6, 40),
        phone=st.booleans(),
        review=st.booleans(),
        ship=st.sampled_from([True, True, False]),
    )
    def apply_at_checkout(self, user, form, term, method, quantity, phone, review, ship):
        sku, quantity = ("MI6-64", 1) if phone else ("CABLE-C", quantity)
        order = placed_order(self.world, user=user, sku=sku, quantity=quantity)
        application = apply(
            self.world, order, user=user, form=FORMS[form], term=term, method=method, on=self.today
        )
        if application.status == "referred" and review:
            application = lending.review_application(
                SYSTEM, application.number, approve=True, on=self.today, reason="fine"
            )
        if application.status != "approved":
            assert get_order(SYSTEM, order.number).status == Order.Status.PLACED
            return multiple()
        loan = Loan.objects.get(application=application)
        assert get_order(SYSTEM, order.number).status == Order.Status.PAID
        if ship:
            fulfil_order(SYSTEM, order.number)
        self.owed[loan.number] = loan.principal_minor
        self.repaid[loan.number] = 0
        return loan.number

    @rule(number=loans)
    def fulfil(self, number):
        loan = Loan.objects.get(number=number)
        if get_order(SYSTEM, loan.order_number).status == Order.Status.PAID:
            fulfil_order(SYSTEM, loan.order_number)

    @rule(
        number=loans,
        percent=st.integers(1, 100),
        declined=st.sampled_from([False, False, False, True]),
        replay=st.booleans(),
    )
    def repay(self, number, percent, declined, replay):
        loan = Loan.objects.get(number=number)
        owed = lending.payoff_quote(SYSTEM, number, on=self.today)
        amount = max(1, owed * percent // 100)
        customer = actor_for_user(loan.customer)
        kwargs = dict(
            amount=Decimal(amount) / 100,
            currency="CNY",
            payment_token="tok_declined" if declined else "tok_ok",
            idempotency_key=self._key(),
            on=self.today,
        )
        if loan.status != Loan.Status.ACTIVE or declined:
            before = self._money_state()
            with pytest.raises(DomainError) as refused:
                lending.repay(customer, number, **kwargs)
            assert refused.value.code in ("loan_not_active", "payment_declined")
            assert self._money_state() == before
            return
        event = lending.repay(customer, number, **kwargs)
        assert event.amount_minor == amount == event.principal_minor + event.interest_minor + event.fee_minor
        self.owed[number] -= event.principal_minor
        self.repaid[number] += amount
        if replay:
            before = self._money_state()
            assert lending.repay(customer, number, **kwargs).pk == event.pk
            assert self._money_state() == before

    @rule(number=loans)
    def someone_else_repays(self, number):
        loan = Loan.objects.get(number=number)
        stranger = "bob" if loan.customer.username == "alice" else "alice"
        before = self._money_state()
        with pytest.raises(NotFound):
            lending.repay(
                actor_for_user(self.world.users[stranger]),
                number,
                amount=Decimal("1.00"),
                currency="CNY",
                payment_token="tok_ok",
                idempotency_key=self._key(),
                on=self.today,
            )
        with pytest.raises(Unprocessable):
            lending.repay(
                actor_for_user(loan.customer),
                number,
                amount=Decimal("-1.00"),
                currency="CNY",
                payment_token="tok_ok",
                idempotency_key=self._key(),
                on=self.today,
            )
        assert self._money_state() == before

    @rule(days=st.integers(1, 120))
    def days_pass(self, days):
        self.today += timedelta(days=days)
        lending.run_daily(self.today)
        for loan in Loan.objects.filter(status=Loan.Status.CHARGED_OFF):
            self.owed[loan.number] = 0

    @rule(number=loans, units=st.integers(1, 10))
    def customer_returns_units(self, number, units):
        loan = Loan.objects.get(number=number)
        order = get_order(SYSTEM, loan.order_number)
        if order.status not in (Order.Status.FULFILLED, Order.Status.PARTIALLY_RETURNED):
            return
        line = order.lines.get()
        units = min(units, line.quantity_fulfilled - line.quantity_returned)
        if not units:
            return
        active = loan.status == Loan.Status.ACTIVE
        serials = tuple(line.units.filter(returned=False).values_list("serial", flat=True)[:units])
        ret = return_order(
            SYSTEM, order.number, lines=[ReturnRequest(line.pk, units, serials)], warehouse_code="WH-CN-SH"
        )
        refunded = int(ret.refund_amount * 100)
        part = min(refunded, self.owed[number]) if active else 0
        self.owed[number] -= part
        event = loan.events.filter(kind="refund").order_by("-pk").first()
        assert event.principal_minor == part
        assert event.principal_minor + event.recovery_minor + event.surplus_minor == refunded

    @rule(number=loans, claimed=st.integers(100, 2200), approve=st.booleans())
    def insure_the_phone_and_claim(self, number, claimed, approve):
        """Insurance (helper C's): a policy bought for the financed phone, a claim, a payout."""
        loan = Loan.objects.get(number=number)
        order = get_order(SYSTEM, loan.order_number)
        units = [u for line in order.lines.all() for u in line.units.all() if not u.returned]
        if not units or units[0].line.sku.code != "MI6-64":
            return
        holder = actor_for_user(loan.customer)
        serial = units[0].serial
        policy = insurance.list_policies(holder, serial=serial, status="active").first()
        if policy is None:
            try:
                policy = insurance.buy_policy(holder, order.number, serial, PLAN, payment_token="tok_ok")
            except Conflict as refused:  # a used-up policy blocks none; only a live one does
                assert refused.code == "already_insured"
                return
        before = self._money_state()
        try:
            claim = insurance.submit_claim(
                holder,
                policy.number,
                peril="accidental_damage",
                incident_at=timezone.now(),
                amount=Decimal(claimed),
            )
        except Conflict:
            assert self._money_state() == before  # refused claims move nothing
            return
        claim = insurance.decide_claim(SYSTEM, claim.number, approve=approve, reason="" if approve else "no")
        if approve:
            assert insurance.pay_claim(SYSTEM, claim.number).status == "paid"

    @rule(number=loans)
    def customer_cancels(self, number):
        loan = Loan.objects.get(number=number)
        if get_order(SYSTEM, loan.order_number).status != Order.Status.PAID:
            with pytest.raises(Conflict):
                cancel_order(SYSTEM, loan.order_number)
            return
        cancel_order(SYSTEM, loan.order_number)
        self.owed[number] = 0

    @precondition(lambda self: self.owed)
    @invariant()
    def books_balance_and_loans_match_their_schedules(self):
        assert total_balance_check() == 0
        loans = list(Loan.objects.all())
        codes = [f"lending:{kind}:{loan.number}:CNY" for loan in loans for kind in ("principal", "fees")]
        books = balances(codes)
        for loan in loans:
            principal = books[f"lending:principal:{loan.number}:CNY"]
            assert principal.debits_posted - principal.credits_posted == loan.outstanding_principal_minor
            assert (
                loan.outstanding_principal_minor
                == lending.schedule_outstanding(loan)
                == self.owed[loan.number]
            )
            fees = books.get(f"lending:fees:{loan.number}:CNY")
            assert (fees.debits_posted - fees.credits_posted if fees else 0) == loan.fees_outstanding_minor
            paid = sum(loan.events.filter(kind="repayment").values_list("amount_minor", flat=True))
            assert paid == self.repaid[loan.number]

    @invariant()
    def no_account_breaks_its_limit(self):
        limited = LedgerAccount.objects.filter(
            Q(debits_must_not_exceed_credits=True) | Q(credits_must_not_exceed_debits=True)
        )
        for a in limited:
            if a.debits_must_not_exceed_credits:
                assert a.debits_posted + a.debits_pending <= a.credits_posted, a.code
            else:
                assert a.credits_posted + a.credits_pending <= a.debits_posted, a.code


def test_lending_state_machine(credit, monkeypatch):
    credit.receive("CABLE-C", "WH-CN-SH", 3000)
    credit.receive("MI6-64", "WH-CN-SH", 200)
    insurance.create_plan(
        SYSTEM,
        code=PLAN,
        name="Mi Care 12 months",
        sku_code="MI6-64",
        term_months=12,
        perils=["accidental_damage"],
        prices=[insurance.PriceInput("CN", "199.00", "2000.00", "99.00")],
    )
    # Sales returns and cancellations reach the loan without a date: they ask the lender's calendar,
    # which here is the machine's.
    monkeypatch.setattr(clock, "business_day", lambda: LendingMachine.current.today)
    LendingMachine.world = credit
    run_state_machine_as_test(
        LendingMachine, settings=settings(max_examples=20, stateful_step_count=30, deadline=None)
    )
