# Limits: amount sanity, balances and partial freezes, holder caps overall and
# per jurisdiction, maximum balance per investor, minimum and maximum
# investment, reconciliation holds. Dynamic scope.
package clearance

dynamic_deny contains limit_reason("INVALID_AMOUNT", "amount must be positive", "rego/limits/amount", input.amount, 1) if {
	input.amount <= 0
}

# The sender's balance is checked for every action with a sender but issuance,
# including the issuer's own wallets and the burn bypass.
balance_checked if {
	is_object(input.from)
	input.action != "ISSUANCE"
}

dynamic_deny contains limit_reason("INSUFFICIENT_BALANCE", "sender balance does not cover the amount", "rego/limits/balance", input.amount, input.from.holding.wallet_balance) if {
	balance_checked
	input.from.holding.wallet_balance < input.amount
}

dynamic_deny contains limit_reason("PARTIAL_FREEZE", "frozen part of the sender balance leaves too little to cover the amount", "rego/limits/partial_freeze", input.amount, available) if {
	balance_checked
	not agent_action
	input.from.wallet.frozen_amount > 0
	input.from.holding.wallet_balance >= input.amount
	available := input.from.holding.wallet_balance - input.from.wallet.frozen_amount
	available < input.amount
}

# --- holder caps (only a recipient who is not already a holder adds one) -------

new_holder if {
	investor_recipient
	known_investor(input.to)
	input.to.holding.is_holder != true
}

dynamic_deny contains limit_reason("HOLDER_LIMIT_EXCEEDED", "asset holder cap would be exceeded", "rego/limits/holder_cap", input.asset.holder_count + 1, input.asset.max_holders) if {
	new_holder
	input.asset.max_holders > 0
	input.asset.holder_count >= input.asset.max_holders
}

dynamic_deny contains limit_reason("JURISDICTION_HOLDER_LIMIT_EXCEEDED", "asset holder cap for the recipient jurisdiction would be exceeded", "rego/limits/holder_cap_jurisdiction", held + 1, cap) if {
	new_holder
	j := input.to.investor.jurisdiction
	cap := input.asset.max_holders_per_jurisdiction[j]
	cap > 0
	held := object.get(input.asset.holder_count_by_jurisdiction, j, 0)
	held >= cap
}

# --- maximum balance per investor, over all the investor's wallets ---------------

same_investor if {
	is_object(input.from)
	is_object(input.to)
	input.from.investor.id != ""
	input.from.investor.id == input.to.investor.id
}

dynamic_deny contains limit_reason("MAX_BALANCE_EXCEEDED", "recipient investor balance would exceed the maximum", "rego/limits/max_balance", after, input.asset.max_balance_per_investor) if {
	investor_recipient
	known_investor(input.to)
	not same_investor
	input.asset.max_balance_per_investor > 0
	after := input.to.holding.investor_balance + input.amount
	after > input.asset.max_balance_per_investor
}

# --- minimum and maximum investment (primary allocations) -----------------------

investment if input.action in {"ISSUANCE", "DISTRIBUTION"}

dynamic_deny contains limit_reason("BELOW_MIN_INVESTMENT", "amount is below the minimum investment", "rego/limits/investment", input.amount, input.asset.min_investment) if {
	investment
	input.asset.min_investment > 0
	input.amount < input.asset.min_investment
}

dynamic_deny contains limit_reason("ABOVE_MAX_INVESTMENT", "amount is above the maximum investment", "rego/limits/investment", input.amount, input.asset.max_investment) if {
	investment
	input.asset.max_investment > 0
	input.amount > input.asset.max_investment
}

# --- reconciliation holds ---------------------------------------------------------

dynamic_deny contains reason("RECONCILIATION_HOLD", "sender wallet is on reconciliation hold", "rego/limits/hold") if {
	is_object(input.from)
	input.from.hold == true
}

dynamic_deny contains reason("RECONCILIATION_HOLD", "recipient wallet is on reconciliation hold", "rego/limits/hold") if {
	is_object(input.to)
	input.to.hold == true
}
