# Source me: puts the pinned tools from test/tools/install.sh (<repo>/.tools/bin) first on PATH.
_wva_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
case ":$PATH:" in
  *":$_wva_repo/.tools/bin:"*) ;;
  *) export PATH="$_wva_repo/.tools/bin:$PATH" ;;
esac
unset _wva_repo
