"""The survey simulator: navigation files with known truth, for the tests, `make run`'s demo and `make bench`.

It lives outside ``chalicelib`` so it never ships in the Lambda package.
"""
