# Build a static binary, then ship it on distroless as an unprivileged user.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=0.0.0
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/prometheus/common/version.Version=${VERSION}" \
      -o /out/azure_ea_exporter .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/azure_ea_exporter /bin/azure_ea_exporter
USER nonroot:nonroot
EXPOSE 10168
# Mount the configuration and key files here (read-only).
VOLUME ["/etc/azure_ea_exporter"]
ENTRYPOINT ["/bin/azure_ea_exporter"]
CMD ["--config.file=/etc/azure_ea_exporter/azure_ea_exporter.yml"]
