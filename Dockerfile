# Multi-stage build of postmortem-exporter: a static binary on a distroless base.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The version, revision and build date that --version and
# postmortem_exporter_build_info report.
ARG VERSION=dev
ARG REVISION=unknown
ARG BUILD_DATE=unknown
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/prometheus/common/version.Version=${VERSION} -X github.com/prometheus/common/version.Revision=${REVISION} -X github.com/prometheus/common/version.BuildDate=${BUILD_DATE}" \
      -o /postmortem-exporter ./cmd/postmortem-exporter

FROM gcr.io/distroless/static-debian13:nonroot
COPY --from=build /postmortem-exporter /postmortem-exporter
EXPOSE 9787
USER nonroot
ENTRYPOINT ["/postmortem-exporter"]
CMD ["serve"]
