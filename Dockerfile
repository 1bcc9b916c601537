# Multi-stage build of postmortem-exporter: a static binary on a distroless base.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/prometheus/common/version.Version=${VERSION}" \
      -o /postmortem-exporter ./cmd/postmortem-exporter

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /postmortem-exporter /postmortem-exporter
EXPOSE 9787
USER nonroot
ENTRYPOINT ["/postmortem-exporter"]
CMD ["serve"]
