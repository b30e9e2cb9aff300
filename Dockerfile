# The image of azure_ea_exporter, built the Prometheus projects' way: the
# binary is built outside (scripts/build-image.sh, version stamped as by
# `make build`) and copied onto an empty base with CA certificates and an
# unprivileged user. The build context is the one scripts/build-image.sh
# stages; it downloads nothing:
#
#   scripts/build-image.sh                  # buildah
#   BUILDER=docker scripts/build-image.sh   # or docker / podman
#
#   <context>/linux-<arch>/azure_ea_exporter
#   <context>/linux-<arch>/etc/{passwd,group,ssl/certs/ca-certificates.crt}
FROM scratch
ARG ARCH=amd64
ARG VERSION=unknown
ARG REVISION=unknown
ARG CREATED=unknown

LABEL org.opencontainers.image.title="azure_ea_exporter" \
      org.opencontainers.image.description="Prometheus exporter for Azure Enterprise Agreement billing (EA Reporting API)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="https://github.com/azure-ea-exporter/azure_ea_exporter" \
      org.opencontainers.image.url="https://github.com/azure-ea-exporter/azure_ea_exporter" \
      org.opencontainers.image.documentation="https://github.com/azure-ea-exporter/azure_ea_exporter#docker" \
      org.opencontainers.image.licenses="Apache-2.0"

COPY linux-${ARCH}/etc/ /etc/
COPY linux-${ARCH}/azure_ea_exporter /bin/azure_ea_exporter

# 65532: "nonroot" in /etc/passwd, as in distroless; numeric, so that
# Kubernetes can verify runAsNonRoot.
USER 65532:65532
EXPOSE 10168
ENTRYPOINT ["/bin/azure_ea_exporter"]
# Mount the configuration and key files at /etc/azure_ea_exporter (read-only).
CMD ["--config.file=/etc/azure_ea_exporter/azure_ea_exporter.yml"]
