// The query filters /v1/observations, /latest and /aggregate share (their OpenAPI descriptions in one place).
export const filterProps = {
  site: { type: 'string', description: 'Site code(s), comma-separated.' },
  device: { type: 'string', description: 'Device code(s), comma-separated.' },
  point: { type: 'string', description: 'Point code(s), comma-separated.' },
  indicator: { type: 'string', description: 'Indicator code(s), comma-separated.' },
  domain: { $ref: 'lifeline:domain#' },
  kind: { $ref: 'lifeline:observation-kind#' },
  from: { type: 'string', description: 'Inclusive start: ISO 8601 (without offset: the hub zone) or epoch ms.' },
  to: { type: 'string', description: 'Exclusive end, same forms as from.' },
};
