{
  buildPythonPackage,
  fetchPypi,
}:
buildPythonPackage rec {
  pname = "widgetlib";
  version = "1.2.3";
  src = fetchPypi {
    inherit pname version;
    sha256 = "0hs28503ygix7hxklf9q6wv3ad1k68qk0brf5ln2nai950kjc994";
  };
}
