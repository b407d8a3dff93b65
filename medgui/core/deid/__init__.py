"""De-identification: the PS3.15 profile, cleaning a dataset, the pseudonym mapping, exporting a
de-identified copy and verifying it.
"""
