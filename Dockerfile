# Neural Playground. CPU torch by default; for a CUDA build:
#   docker build --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cu124 -t playground .
#   docker run --gpus all -p 8000:8000 playground
FROM python:3.11-slim

ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1

WORKDIR /app
RUN pip install --index-url "$TORCH_INDEX" "torch==${TORCH_VERSION}"
COPY pyproject.toml README.md ./
COPY server ./server
COPY static ./static
COPY templates ./templates
RUN pip install . && useradd --create-home --uid 1000 playground

USER playground
# the compiled CPU kernel (server/engine/kernel.py), built into the image: the server
# loads it from this cache at start instead of compiling for seconds
ENV NUMBA_CACHE_DIR=/home/playground/.cache/numba
# (from /, so it is the installed package that is compiled, not /app/server)
RUN cd / && python -c "from server.engine import compiled; compiled.prepare(background=False); assert compiled.ready(), compiled.why_not()"
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=4).status != 200)"
CMD ["playground", "--host", "0.0.0.0", "--port", "8000"]
