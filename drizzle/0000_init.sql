CREATE TABLE "auth_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone,
	"last_used_at" timestamp with time zone,
	CONSTRAINT "auth_tokens_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "categories" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "companies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "companies_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "config_audit" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_user_id" uuid,
	"entity_type" text NOT NULL,
	"entity_id" text,
	"action" text NOT NULL,
	"before" jsonb,
	"after" jsonb
);
--> statement-breakpoint
CREATE TABLE "email_audit" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"server_id" uuid,
	"message_row_id" uuid,
	"message_id" text,
	"from_address" text,
	"subject" text,
	"outcome" text NOT NULL,
	"reason" text,
	"ticket_id" uuid
);
--> statement-breakpoint
CREATE TABLE "email_preference" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"email_to_ticket" boolean DEFAULT true NOT NULL,
	"duplicate_window_minutes" integer DEFAULT 60 NOT NULL,
	"max_message_bytes" integer DEFAULT 26214400 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "incoming_servers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"email" text NOT NULL,
	"protocol" text NOT NULL,
	"provider" text NOT NULL,
	"host" text,
	"port" integer,
	"security" text,
	"auth_type" text,
	"username" text,
	"password_sealed" text,
	"oauth" jsonb,
	"oauth_secrets_sealed" text,
	"enabled" boolean DEFAULT true NOT NULL,
	"primary" boolean DEFAULT false NOT NULL,
	"real_time_scanning" boolean DEFAULT false NOT NULL,
	"allow_self_signed_certificate" boolean DEFAULT false NOT NULL,
	"poll_interval_seconds" integer DEFAULT 120 NOT NULL,
	"technician_group_id" uuid,
	"category_id" uuid,
	"company_id" uuid,
	"filter_type" text,
	"filter_emails" text[] DEFAULT '{}'::text[] NOT NULL,
	"filter_domains" text[] DEFAULT '{}'::text[] NOT NULL,
	"filter_keywords" text[] DEFAULT '{}'::text[] NOT NULL,
	"credentials_version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "mailbox_checkpoints" (
	"server_id" uuid NOT NULL,
	"folder" text NOT NULL,
	"uid_validity" bigint,
	"last_uid" bigint DEFAULT 0 NOT NULL,
	"baseline_uid" bigint DEFAULT 0 NOT NULL,
	"cursor" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "mailbox_checkpoints_server_id_folder_pk" PRIMARY KEY("server_id","folder")
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"server_id" uuid,
	"source_key" text NOT NULL,
	"ticket_id" uuid,
	"message_id" text,
	"content_hash" text NOT NULL,
	"from_address" text,
	"from_name" text,
	"subject" text,
	"body_text" text,
	"body_html" text,
	"sent_at" timestamp with time zone,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"raw_size" integer NOT NULL,
	"raw" "bytea" NOT NULL,
	CONSTRAINT "messages_source_key_unique" UNIQUE("source_key")
);
--> statement-breakpoint
CREATE TABLE "requesters" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" text NOT NULL,
	"name" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "roles" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"permissions" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "roles_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "server_health" (
	"server_id" uuid PRIMARY KEY NOT NULL,
	"status" text DEFAULT 'UNKNOWN' NOT NULL,
	"connection_state" text DEFAULT 'connecting' NOT NULL,
	"last_sync_at" timestamp with time zone,
	"inbound_queue_count" integer DEFAULT 0 NOT NULL,
	"last_error_message" text,
	"last_error_kind" text,
	"last_error_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "technician_group_members" (
	"group_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	CONSTRAINT "technician_group_members_group_id_user_id_pk" PRIMARY KEY("group_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "technician_groups" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tickets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"number" serial NOT NULL,
	"subject" text NOT NULL,
	"description" text NOT NULL,
	"description_html" text,
	"status" text DEFAULT 'OPEN' NOT NULL,
	"requester_id" uuid NOT NULL,
	"technician_group_id" uuid,
	"category_id" uuid,
	"company_id" uuid,
	"incoming_server_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tickets_number_unique" UNIQUE("number")
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" text NOT NULL,
	"name" text NOT NULL,
	"password_hash" text NOT NULL,
	"is_super_admin" boolean DEFAULT false NOT NULL,
	"role_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "auth_tokens" ADD CONSTRAINT "auth_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "config_audit" ADD CONSTRAINT "config_audit_actor_user_id_users_id_fk" FOREIGN KEY ("actor_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_audit" ADD CONSTRAINT "email_audit_server_id_incoming_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."incoming_servers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_audit" ADD CONSTRAINT "email_audit_message_row_id_messages_id_fk" FOREIGN KEY ("message_row_id") REFERENCES "public"."messages"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_audit" ADD CONSTRAINT "email_audit_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incoming_servers" ADD CONSTRAINT "incoming_servers_technician_group_id_technician_groups_id_fk" FOREIGN KEY ("technician_group_id") REFERENCES "public"."technician_groups"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incoming_servers" ADD CONSTRAINT "incoming_servers_category_id_categories_id_fk" FOREIGN KEY ("category_id") REFERENCES "public"."categories"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incoming_servers" ADD CONSTRAINT "incoming_servers_company_id_companies_id_fk" FOREIGN KEY ("company_id") REFERENCES "public"."companies"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mailbox_checkpoints" ADD CONSTRAINT "mailbox_checkpoints_server_id_incoming_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."incoming_servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_server_id_incoming_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."incoming_servers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_health" ADD CONSTRAINT "server_health_server_id_incoming_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."incoming_servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "technician_group_members" ADD CONSTRAINT "technician_group_members_group_id_technician_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."technician_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "technician_group_members" ADD CONSTRAINT "technician_group_members_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_requester_id_requesters_id_fk" FOREIGN KEY ("requester_id") REFERENCES "public"."requesters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_technician_group_id_technician_groups_id_fk" FOREIGN KEY ("technician_group_id") REFERENCES "public"."technician_groups"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_category_id_categories_id_fk" FOREIGN KEY ("category_id") REFERENCES "public"."categories"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_company_id_companies_id_fk" FOREIGN KEY ("company_id") REFERENCES "public"."companies"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_incoming_server_id_incoming_servers_id_fk" FOREIGN KEY ("incoming_server_id") REFERENCES "public"."incoming_servers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_role_id_roles_id_fk" FOREIGN KEY ("role_id") REFERENCES "public"."roles"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "categories_name_lower" ON "categories" USING btree (lower("name"));--> statement-breakpoint
CREATE INDEX "config_audit_at" ON "config_audit" USING btree ("at");--> statement-breakpoint
CREATE INDEX "email_audit_at" ON "email_audit" USING btree ("at");--> statement-breakpoint
CREATE INDEX "email_audit_server_at" ON "email_audit" USING btree ("server_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "incoming_servers_one_primary" ON "incoming_servers" USING btree ("primary") WHERE "incoming_servers"."primary";--> statement-breakpoint
CREATE INDEX "messages_ticket" ON "messages" USING btree ("ticket_id");--> statement-breakpoint
CREATE INDEX "messages_message_id" ON "messages" USING btree ("message_id");--> statement-breakpoint
CREATE UNIQUE INDEX "requesters_email_lower" ON "requesters" USING btree (lower("email"));--> statement-breakpoint
CREATE UNIQUE INDEX "technician_groups_name_lower" ON "technician_groups" USING btree (lower("name"));--> statement-breakpoint
CREATE INDEX "tickets_created_at" ON "tickets" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_lower" ON "users" USING btree (lower("email"));