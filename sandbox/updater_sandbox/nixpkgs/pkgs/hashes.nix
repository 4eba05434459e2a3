# The output-hash attributes of a fixed-output derivation from nixpkgs-style arguments:
# `hash` (SRI, or "<algo>:<digest>"), legacy `sha256`/`sha512` (base32, base16 or SRI), or a
# ready `outputHash`. An empty hash is left to Nix, which reports the real hash as `got:`.
{ lib }:
{
  hash ? null,
  sha256 ? null,
  sha512 ? null,
  outputHash ? null,
  outputHashAlgo ? null,
  what,
}:
let
  algoOf =
    h:
    if lib.hasPrefix "sha512" h then
      "sha512"
    else if lib.hasPrefix "sha1-" h || lib.hasPrefix "sha1:" h then
      "sha1"
    else
      "sha256";
in
if hash != null then
  {
    outputHash = hash;
    outputHashAlgo = algoOf hash;
  }
else if sha512 != null then
  {
    outputHash = sha512;
    outputHashAlgo = "sha512";
  }
else if sha256 != null then
  {
    outputHash = sha256;
    outputHashAlgo = "sha256";
  }
else if outputHash != null then
  {
    inherit outputHash;
    outputHashAlgo = if outputHashAlgo != null then outputHashAlgo else algoOf outputHash;
  }
else
  throw "${what} requires a hash (hash, sha256 or outputHash)"
