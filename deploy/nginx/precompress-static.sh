#!/bin/sh
# Streamlit's own scripts and styles, compressed once at the highest levels (Brotli 11,
# gzip 9) for nginx to serve from disk (samon-locations.conf, location /static/):
# a first visit a seventh smaller than compressing each request on the fly at a level
# cheap enough for that. Debian: apt-get install brotli libnginx-mod-http-brotli-static.
#
#   deploy/nginx/precompress-static.sh .venv/bin/python /var/lib/samon/streamlit
#
# Run it again after upgrading Streamlit (its file names change with their content;
# until then nginx passes the new ones to the app, uncompressed by this).
set -eu
python=${1:?"the dashboard's Python, e.g. .venv/bin/python"}
target=${2:?"the folder nginx serves /static/ from, e.g. /var/lib/samon/streamlit"}
source=$("$python" -c 'import pathlib, streamlit; print(pathlib.Path(streamlit.__file__).parent / "static" / "static")')
rm -rf "$target.new"
mkdir -p "$target.new"
cp -R "$source" "$target.new/static"
find "$target.new/static" -type f \( -name '*.js' -o -name '*.css' -o -name '*.svg' \
    -o -name '*.json' -o -name '*.map' \) -size +1k -print | while read -r file; do
    brotli --quality=11 --keep --output="$file.br" "$file"
    gzip -9 --keep "$file"
done
rm -rf "$target"
mv "$target.new" "$target"
