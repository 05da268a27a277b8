"""Privacy-safe publication of public KPIs (differential privacy via OpenDP, budget in the store).

    card = publish(kpigov.load(repo), store, as_of, Path("public/scorecard.json"))

:mod:`~kpigov.publish.privacy` builds the OpenDP integer mechanisms, :mod:`~kpigov.publish.budget`
keeps the ε ledger, :mod:`~kpigov.publish.scorecard` decides, releases and writes the file.
"""

from kpigov.publish.budget import BudgetExhaustedError, budget_period_start, spend, spent
from kpigov.publish.privacy import GAUSSIAN_DELTA, CountMechanism, epsilon_spent, mechanism
from kpigov.publish.scorecard import PublicScorecard, PublicValue, publish

__all__ = ["GAUSSIAN_DELTA", "BudgetExhaustedError", "CountMechanism", "PublicScorecard", "PublicValue",
           "budget_period_start", "epsilon_spent", "mechanism", "publish", "spend", "spent"]
