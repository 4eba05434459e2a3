"""The local forge: one HTTP server on 127.0.0.1 playing every forge the bot talks to."""

from updater_sandbox.forge.app import RecordedRequest
from updater_sandbox.forge.local_forge import LocalForge
from updater_sandbox.forge.state import ForgeAsset, ForgeRelease, ForgeUser

__all__ = ["ForgeAsset", "ForgeRelease", "ForgeUser", "LocalForge", "RecordedRequest"]
