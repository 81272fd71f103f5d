-- Maison Verdier demo warehouse: the tables of an imaginary company's sales and HR data.
-- Loaded by `sourcier warehouse demo` into a database of its own; loading again replaces everything here.
-- Reader roles and their grants are derived from the catalogue (catalogue.toml), not written here.

DROP SCHEMA IF EXISTS sales, hr, audit CASCADE;
CREATE SCHEMA sales;
CREATE SCHEMA hr;
CREATE SCHEMA audit;

CREATE TABLE sales.regions (
    region_id   integer PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    country     text NOT NULL,
    agency      text NOT NULL
);

CREATE TABLE sales.products (
    product_id    integer PRIMARY KEY,
    sku           text NOT NULL UNIQUE,
    name          text NOT NULL,
    product_line  text NOT NULL,
    list_price    numeric(10, 2) NOT NULL
);

CREATE TABLE sales.customers (
    customer_id  integer PRIMARY KEY,
    name         text NOT NULL UNIQUE,
    segment      text NOT NULL,
    city         text NOT NULL,
    region_id    integer NOT NULL REFERENCES sales.regions,
    created_on   date NOT NULL,
    email        text NOT NULL          -- personal data: not in the catalogue, not granted to readers
);

CREATE TABLE sales.orders (
    order_id     integer PRIMARY KEY,
    customer_id  integer NOT NULL REFERENCES sales.customers,
    order_date   date NOT NULL,
    channel      text NOT NULL,
    status       text NOT NULL
);
CREATE INDEX orders_customer ON sales.orders (customer_id);
CREATE INDEX orders_date ON sales.orders (order_date);

CREATE TABLE sales.order_lines (
    order_id    integer NOT NULL REFERENCES sales.orders,
    line_no     integer NOT NULL,
    product_id  integer NOT NULL REFERENCES sales.products,
    quantity    integer NOT NULL CHECK (quantity > 0),
    unit_price  numeric(10, 2) NOT NULL,
    discount    numeric(4, 2) NOT NULL DEFAULT 0,
    PRIMARY KEY (order_id, line_no)
);
CREATE INDEX order_lines_product ON sales.order_lines (product_id);

-- A sequence readers must not advance (nextval is refused by the validator, the role and the read-only transaction).
CREATE SEQUENCE sales.invoice_number;

-- Readable only by the HR and management groups (see catalogue.toml).
CREATE TABLE hr.salaries (
    employee_ref  text PRIMARY KEY,
    job_title     text NOT NULL,
    department    text NOT NULL,
    site          text NOT NULL,
    hired_on      date NOT NULL,
    annual_gross  numeric(10, 2) NOT NULL
);

-- Not in the catalogue at all: no reader may see it.
CREATE TABLE audit.access_log (
    id      integer PRIMARY KEY,
    at      timestamptz NOT NULL,
    who     text NOT NULL,
    action  text NOT NULL
);
