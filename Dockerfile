FROM python:3.11-slim
WORKDIR /app
# Pango and a font for the PDF reports (WeasyPrint).
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 \
    libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core && rm -rf /var/lib/apt/lists/*
COPY requirements/run.txt ./requirements/run.txt
# The runtime exactly as locked (hashes checked), then the project without dependencies of its
# own choosing, built with the locked setuptools.
RUN pip install --no-cache-dir --require-hashes -r requirements/run.txt
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY projections ./projections
COPY api ./api
RUN pip install --no-cache-dir --no-deps --no-build-isolation .
ENV BEWIJSKETEN_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8000
CMD ["uvicorn", "--factory", "api.app:create_app", "--host", "0.0.0.0", "--port", "8000"]
