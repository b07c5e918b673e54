// Rooms: the list, each with its recording settings, a link to hold a meeting in it and to its settings.
import { useEffect, useState } from 'react';
import { api } from '../api/client.ts';
import { PLATFORM_LABELS, type Room } from '../api/types.ts';
import { Link } from '../router.tsx';
import { Empty, ErrorNote, Loading, PageHeading } from '../components/ui.tsx';
import { TRIGGER_LABELS, TYPE_LABELS } from './RoomForm.tsx';

export function RoomsPage() {
  const [rooms, setRooms] = useState<Room[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.listRooms().then((page) => setRooms(page.items), setError);
  }, []);

  return (
    <>
      <PageHeading title="Rooms">
        <Link href="/rooms/new" className="button button-primary">New room</Link>
      </PageHeading>
      <ErrorNote error={error} title="Could not load the rooms" />
      {!rooms && !error && <Loading what="rooms" />}
      {rooms?.length === 0 && (
        <Empty>
          <p>No rooms yet. A room is a named place to meet; each meeting in it is recorded as the room says.</p>
          <Link href="/rooms/new" className="button button-primary">Create the first room</Link>
        </Empty>
      )}
      {rooms && rooms.length > 0 && (
        <ul className="room-list">
          {rooms.map((room) => (
            <li key={room.id} className="card room-card">
              <div>
                <h2><Link href={`/${room.name}`}>{room.name}</Link></h2>
                <p className="muted">
                  <span data-platform={room.platform}>{PLATFORM_LABELS[room.platform]}</span> · recording: {TYPE_LABELS[room.recordingType]}
                  {room.recordingType !== 'none' && <>, {TRIGGER_LABELS[room.recordingTrigger].toLowerCase()}</>}
                  {room.locked && ' · locked'}
                </p>
              </div>
              <div className="actions">
                <Link href={`/${room.name}`} className="button button-primary" aria-label={`Open room ${room.name}`}>Open</Link>
                <Link href={`/meetings?room=${encodeURIComponent(room.name)}`} className="button" aria-label={`Meetings in room ${room.name}`}>Meetings</Link>
                <Link href={`/rooms/${room.name}/action-items`} className="button" aria-label={`Action items of room ${room.name}`}>Action items</Link>
                <Link href={`/rooms/${room.name}/settings`} className="button" aria-label={`Settings of room ${room.name}`}>Settings</Link>
              </div>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
