{ lib, rustPlatform, fetchFromTangled }:
rustPlatform.buildRustPackage {
  pname = "pds-gatekeeper";
  version = "0.1.0";

  src = fetchFromTangled {
    domain = "tangled.org";
    owner = "@gatekeeper.example.com";
    repo = "pds-gatekeeper";
    rev = "bc6e73f9c56f3e4795b17261029212510fa263c2"; # v0.1.0
    hash = "sha256-rP5Le9volSD5sznHYoXeMjaNeAgVG4UwdjSqA7KENqY=";
  };

  cargoHash = "sha256-sMjdmncV4hegSvMi62jPlwKULmkeL0usoHgBJiraj9o=";

  meta = {
    description = "Invite gate for a PDS (fixture)";
    license = lib.licenses.mit;
    mainProgram = "pds-gatekeeper";
  };
}
