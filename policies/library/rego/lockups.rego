# Lockups: counted per lot (the sender's unlocked part must cover the amount)
# and per investor (locked_until). A redemption inside the lockup passes only
# when the asset allows it. Agent actions are not held by lockups. Dynamic scope.
package clearance

lockup_applies if {
	investor_sender
	not agent_action
	not redeem_allowed_in_lockup
}

redeem_allowed_in_lockup if {
	redemption_exit
	input.asset.redeem_in_lockup == true
}

dynamic_deny contains limit_reason("LOCKED", "part of the amount is still inside its lockup", "rego/lockups/lots", input.amount, input.from.holding.unlocked) if {
	lockup_applies
	input.from.holding.wallet_balance >= input.amount
	input.from.holding.unlocked < input.amount
}

dynamic_deny contains limit_reason("INVESTOR_LOCKED", "sender investor is locked", "rego/lockups/investor", input.now, input.from.investor.locked_until) if {
	lockup_applies
	input.from.investor.locked_until > input.now
}
