"""Pure domain code: statement models, rule engine, geo placement, valuation, assessment.

Nothing in this package imports Flask or a database driver.
"""
