"""The lender's credit policy: where the probability of default turns a decision (pure rules).

The cutoffs are the lender's, not the model's: ``Scorecard.decide`` takes them as arguments, the
application service decides with them, and training measures approval rates by group with the same
approval cutoff, so the four-fifths figures describe the decisions customers would get.
"""

from __future__ import annotations

# Below this probability of default approve, above the other decline, between refer to a risk
# officer. German Credit has 30% bads; these cutoffs approve its safer half or so.
APPROVE_BELOW_PD = 0.25
DECLINE_ABOVE_PD = 0.55
