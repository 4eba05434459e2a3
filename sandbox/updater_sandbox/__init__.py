"""The local world for tests, benchmarks and `updater demo`: forge, upstream repos, Nix fixture.

See docs/SANDBOX.md for the URL layout every part of the world agrees on.
"""
