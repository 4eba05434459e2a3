"""The local forge: one HTTP server on 127.0.0.1 playing every forge the bot talks to."""

from updater.sandbox.forge.app import RecordedRequest
from updater.sandbox.forge.local_forge import LocalForge
from updater.sandbox.forge.state import ForgeAsset, ForgeRelease, ForgeUser

__all__ = ["ForgeAsset", "ForgeRelease", "ForgeUser", "LocalForge", "RecordedRequest"]
