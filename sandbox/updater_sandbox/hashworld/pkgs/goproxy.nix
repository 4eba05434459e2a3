{
  lib,
  buildGoModule,
  fetchFromGitHub,
}:
buildGoModule rec {
  pname = "goproxy";
  version = "1.0.0";

  src = fetchFromGitHub {
    owner = "hw-example";
    repo = "goproxy";
    rev = "v${version}";
    hash = "sha256-ZlK1u2l4X5mvQH+usNISnC8SJ674OPzdpSv6+lszFzI=";
  };

  proxyVendor = true;
  vendorHash = "sha256-OTAe3P+QwUEqItjJGG1P5yoyCRWsh+bA66ksagHqItc=";
}
