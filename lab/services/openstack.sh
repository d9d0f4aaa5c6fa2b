# The OpenStack services: one-time database/key set-up, then the daemons (WSGI apps under gunicorn).

os_render_configs() {
  mkdir -p "$ETC"/{keystone,placement,nova,neutron,glance} "$STATE"/{keystone,nova/lock,neutron/lock} \
           "$STATE"/glance/{images,staging,tasks,lock}
  render "$LAB/config/keystone.conf" "$ETC/keystone/keystone.conf"
  render "$LAB/config/placement.conf" "$ETC/placement/placement.conf"
  render "$LAB/config/nova.conf" "$ETC/nova/nova.conf"
  render "$LAB/config/nova-compute.conf" "$ETC/nova/nova-compute.conf"
  render "$LAB/config/neutron.conf" "$ETC/neutron/neutron.conf"
  render "$LAB/config/glance-api.conf" "$ETC/glance/glance-api.conf"
  cp "$VENV/etc/nova/api-paste.ini" "$ETC/nova/api-paste.ini"
  cp "$VENV/etc/glance/glance-api-paste.ini" "$ETC/glance/glance-api-paste.ini"
  # Nova reads the compute node's stable UUID from a file next to its config.
  [[ -f "$STATE/compute_id" ]] || python3 -c 'import uuid; print(uuid.uuid4())' >"$STATE/compute_id"
  cp "$STATE/compute_id" "$ETC/nova/compute_id"
}

keystone_setup() {
  local conf=(--config-file "$ETC/keystone/keystone.conf")
  keystone-manage "${conf[@]}" db_sync
  keystone-manage "${conf[@]}" fernet_setup --keystone-user root --keystone-group root
  keystone-manage "${conf[@]}" credential_setup --keystone-user root --keystone-group root
  keystone-manage "${conf[@]}" bootstrap --bootstrap-password "$LAB_ADMIN_PASS" \
    --bootstrap-admin-url http://127.0.0.1:5000/v3/ --bootstrap-public-url http://127.0.0.1:5000/v3/ \
    --bootstrap-internal-url http://127.0.0.1:5000/v3/ --bootstrap-region-id RegionOne
}

nova_setup() {
  local conf=(--config-file "$ETC/nova/nova.conf")
  nova-manage "${conf[@]}" api_db sync
  nova-manage "${conf[@]}" cell_v2 map_cell0 \
    --database_connection "postgresql+psycopg2://lab:$LAB_PASS@127.0.0.1:$PG_PORT/nova_cell0"
  nova-manage "${conf[@]}" cell_v2 create_cell --name cell1
  nova-manage "${conf[@]}" db sync
}

# Neutron's migrations assume MySQL in one place: d553edeb540f makes tags case-sensitive with a
# MySQL collation. PostgreSQL compares text case-sensitively already, so that step is recorded, not run.
neutron_setup() {
  local conf=(--config-file "$ETC/neutron/neutron.conf")
  neutron-db-manage "${conf[@]}" upgrade ad80a9f07c5c
  neutron-db-manage "${conf[@]}" stamp d553edeb540f
  neutron-db-manage "${conf[@]}" upgrade heads
}

os_setup() {
  os_render_configs
  once keystone-db keystone_setup
  once placement-db placement-manage --config-file "$ETC/placement/placement.conf" db sync
  once nova-db nova_setup
  once neutron-db neutron_setup
  once glance-db glance-manage --config-file "$ETC/glance/glance-api.conf" db_sync
}

# gunicorn NAME PORT MODULE: one worker with threads is plenty for one user and keeps memory low.
gunicorn_daemon() {
  start_daemon "$1" gunicorn --bind "127.0.0.1:$2" --workers 1 --threads 4 --timeout 120 \
    --name "gpt371-lab-$1" --chdir "$LAB/wsgi" "$3:application"
}

os_up() {
  OS_KEYSTONE_CONFIG_DIR="$ETC/keystone" gunicorn_daemon keystone 5000 keystone_app
  OS_PLACEMENT_CONFIG_DIR="$ETC/placement" gunicorn_daemon placement 8778 placement_app
  OS_GLANCE_CONFIG_DIR="$ETC/glance" gunicorn_daemon glance-api 9292 glance_app
  OS_NEUTRON_CONFIG_DIR="$ETC/neutron" OS_NEUTRON_CONFIG_FILES=neutron.conf gunicorn_daemon neutron-api 9696 neutron_app
  start_daemon neutron-rpc neutron-rpc-server --config-file "$ETC/neutron/neutron.conf"
  OS_NOVA_CONFIG_DIR="$ETC/nova" gunicorn_daemon nova-api 8774 nova_api_app
  wait_http keystone http://127.0.0.1:5000/v3
  wait_http placement http://127.0.0.1:8778/
  wait_http glance-api http://127.0.0.1:9292/
  wait_http neutron-api http://127.0.0.1:9696/
  wait_http nova-api http://127.0.0.1:8774/
}

# Nova's workers authenticate as the nova service user when they start (conductor's placement
# client is fatal on a 401): start them only once the cloud set-up has made that user.
os_workers_up() {
  start_daemon nova-conductor nova-conductor --config-file "$ETC/nova/nova.conf"
  start_daemon nova-scheduler nova-scheduler --config-file "$ETC/nova/nova.conf"
  start_daemon nova-compute python3 -m gpt371_lab.compute_main \
    --config-file "$ETC/nova/nova.conf" --config-file "$ETC/nova/nova-compute.conf"
}

# Reverse start order; nova-compute first so it stops using the APIs.
OS_DAEMONS_STOP="nova-compute nova-scheduler nova-conductor nova-api neutron-rpc neutron-api glance-api placement keystone"

os_down() {
  local d
  for d in $OS_DAEMONS_STOP; do stop_daemon "$d"; done
}
