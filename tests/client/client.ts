// A client typed by openapi-typescript from the served OpenAPI document (api.ts, generated next to
// this file by tests/api/test_generated_client.py): it must type-check as an SPA developer writes it,
// then sign in, list, create, update and delete against a live server. Usage: node client.js URL USER PASSWORD
import createClient from "openapi-fetch";
import type { components, paths } from "./api.js";

declare const process: { argv: string[] };

type Product = components["schemas"]["Product"];
type ProductVerb = "read" | "create" | "update" | "delete" | "adjust_stock" | "import" | "export";
type Role = "admin" | "manager" | "user";

function check(condition: unknown, what: string): asserts condition {
  if (!condition) throw new Error(`check failed: ${what}`);
}

const [baseUrl, username, password] = process.argv.slice(2);
const api = createClient<paths>({ baseUrl });
const report: Record<string, unknown> = {};

// Sign in; the typed response carries the user (and its role) and both tokens.
const login = await api.POST("/api/auth/login", { body: { username, password } });
check(login.response.status === 200 && login.data, "login");
const accessToken: string = login.data.access_token;
const refreshToken: string = login.data.refresh_token;
const role: Role = login.data.user.role;
const expiresIn: number = login.data.expires_in;
report.login = { role, expiresIn };
api.use({
  onRequest({ request }) {
    if (!request.headers.has("Authorization")) request.headers.set("Authorization", `Bearer ${accessToken}`);
    return request;
  },
});

const refreshed = await api.POST("/api/auth/refresh", { headers: { Authorization: `Bearer ${refreshToken}` } });
check(refreshed.response.status === 200 && refreshed.data, "refresh");
const fresh: string = refreshed.data.access_token;
report.refresh = fresh.length > 0;

// The permissions are typed per resource: verbs are enums, not strings.
const me = await api.GET("/api/auth/me");
check(me.data, "me");
const productVerbs: ProductVerb[] = me.data.permissions.products;
const userVerbs: ("read" | "create" | "update" | "delete")[] = me.data.permissions.users;
const lastLogin: string | null = me.data.last_login_at;
check(productVerbs.includes("create") && userVerbs.includes("update") && lastLogin !== null, "permissions");
report.me = { productVerbs, userVerbs };

// Create with the required fields only: the SKU, the quantity and the reorder level are the server's.
const created = await api.POST("/api/products", { body: { name: "Typed widget", price: 9.5 } });
check(created.response.status === 201 && created.data, "create");
const product: Product = created.data;
const sku: string = product.sku;
const lowStock: boolean = product.low_stock;
const etag = created.response.headers.get("ETag");
check(etag === `"${product.version}"` && created.response.headers.get("Location"), "create headers");
const second = await api.POST("/api/products", { body: { name: "Typed gadget", price: 3.1, quantity: 4 } });
check(second.response.status === 201 && second.data, "create with a quantity");
report.create = { sku, lowStock, quantity: product.quantity, secondPrice: second.data.price };

// A list, one row per page: the total and the next page travel in headers.
const page = await api.GET("/api/products", { params: { query: { limit: 1, offset: 0 } } });
check(page.data, "list");
report.list = {
  rows: page.data.length,
  total: page.response.headers.get("X-Total-Count"),
  link: page.response.headers.get("Link"),
};

// Update what changed, with If-Match: nothing else is sent, nothing else changes.
const updated = await api.PUT("/api/products/{id}", {
  params: { path: { id: product.id }, header: { "If-Match": etag } },
  body: { price: 12.25 },
});
check(updated.response.status === 200 && updated.data, "update");
const newEtag = updated.response.headers.get("ETag");
const stale = await api.PATCH("/api/products/{id}", {
  params: { path: { id: product.id }, header: { "If-Match": etag } },
  body: { reorder_level: 5 },
});
const staleStatus: number | undefined = stale.error?.status;
report.update = {
  price: updated.data.price, quantity: updated.data.quantity, reorderLevel: updated.data.reorder_level,
  etag: newEtag, staleStatus: stale.response.status, problemStatus: staleStatus,
};

// An admin edits their own name only: role and active flag stay as they are.
const renamed = await api.PATCH("/api/users/{id}", { params: { path: { id: me.data.id } }, body: { full_name: "Typed Admin" } });
check(renamed.data, "user update");
report.userUpdate = { role: renamed.data.role, isActive: renamed.data.is_active, fullName: renamed.data.full_name };

// The audit trail says what changed as {field: [old, new]}.
const audit = await api.GET("/api/audit-log", {
  params: { query: { entity: "product", entity_id: product.id, action: "update" } },
});
check(audit.data && audit.data.length > 0, "audit entry");
const priceChange = audit.data[0].changes["price"];
report.audit = { old: priceChange[0], new: priceChange[1] };

// Delete with the current ETag; the record is gone afterwards.
const deleted = await api.DELETE("/api/products/{id}", {
  params: { path: { id: product.id }, header: { "If-Match": newEtag ?? "" } },
});
const gone = await api.GET("/api/products/{id}", { params: { path: { id: product.id } } });
report.delete = { status: deleted.response.status, after: gone.response.status };

console.log(JSON.stringify(report));
