# Terminals start login shells, which reset PATH: keep the image's Python environment first.
case ":$PATH:" in
    *:/opt/venv/bin:*) ;;
    *) export PATH="/opt/venv/bin:$PATH" ;;
esac
