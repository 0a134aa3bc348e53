// Calls to the Dougal API on the page's own origin; the token travels in the HttpOnly cookie.

export class ApiError extends Error {
  constructor(status, message) {
    super(message || `HTTP ${status}`);
    this.status = status;
  }
}

let onUnauthorised = () => {};
export function whenUnauthorised(handler) {
  onUnauthorised = handler;
}

export async function request(path, { method = "GET", body, accept = "application/json", raw = false, contentType } = {}) {
  const headers = { Accept: accept };
  let payload;
  if (contentType) {
    headers["Content-Type"] = contentType;
    payload = body;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
  if (!response.ok) {
    let message = `HTTP ${response.status}`;
    try {
      message = (await response.json()).message || message;
    } catch {
      /* not JSON */
    }
    if (response.status === 401 && path !== "/login") onUnauthorised(message);
    throw new ApiError(response.status, message);
  }
  if (raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

export const get = (path, options) => request(path, options);
export const post = (path, body) => request(path, { method: "POST", body });
export const patch = (path, body) => request(path, { method: "PATCH", body });
export const del = (path) => request(path, { method: "DELETE" });

export function projectPath(pid, rest = "") {
  return `/project/${encodeURIComponent(pid)}${rest}`;
}
