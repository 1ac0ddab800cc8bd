"""Households paid an amount other than their computation (issue 14, 精准: no 人情保, 错保).

What a household is paid is decided by people (the district's approval, sometimes with a
written 特殊情形说明); what the rules give is computed (`households.benefit`). The two are
compared for the current month from a kept computation (`PaymentCheck`), refreshed after
every registry change (households.hooks), after a standard, category or property rule
changes, and every night (beat), so the list page's count is one query.
"""
