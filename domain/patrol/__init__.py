"""巡查签到 and 装备: check-in points and their daily plans, check-ins, missed plans and
month figures; the equipment registry and its assignments (pure rules)."""
